using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Activation ranges of the float model, measured once for every tensor the first plan quantizes and reused by every
/// later build (bias correction, fallback candidates), so the calibration set runs through ORT once per pass. A later
/// plan that needs a tensor not measured yet (it should not happen, since fallback only removes nodes) is measured then.
/// </summary>
internal sealed class CalibratedRanges(
    ModelProto floatModel, CalibrationSet calibration, Func<IRangeEstimator> createEstimator, Action<string>? progress = null, PhaseTimer? timer = null)
{
    private readonly Dictionary<string, TensorRange> _ranges = new(StringComparer.Ordinal);

    /// <summary>The range of each tensor in <paramref name="tensors"/>, measuring those not seen before.</summary>
    public IReadOnlyDictionary<string, TensorRange> For(IReadOnlyCollection<string> tensors)
    {
        var missing = tensors.Where(t => !_ranges.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            foreach (var (tensor, range) in ActivationCollector.Collect(floatModel, missing, calibration, createEstimator(), progress, timer ?? new PhaseTimer()))
            {
                _ranges[tensor] = range;
            }
        }

        return _ranges;
    }
}
