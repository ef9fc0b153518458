using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Activation ranges of the float model, measured once for every tensor the first plan quantizes and reused by every
/// later build (bias correction, fallback candidates), so the calibration set runs through ORT once per pass. A later
/// plan that needs a tensor not measured yet (it should not happen, since fallback only removes nodes) is measured then.
/// <paramref name="statistics"/>, when given, are computed in the first measurement's runs.
/// </summary>
internal sealed class CalibratedRanges(
    ModelProto floatModel, CalibrationSet calibration, Func<IRangeEstimator> createEstimator, Action<string>? progress = null, PhaseTimer? timer = null,
    ISampleStatistics? statistics = null)
{
    private readonly Dictionary<string, TensorRange> _ranges = new(StringComparer.Ordinal);
    private ISampleStatistics? _pendingStatistics = statistics;

    /// <summary>The range of each tensor in <paramref name="tensors"/>, measuring those not seen before.</summary>
    public IReadOnlyDictionary<string, TensorRange> For(IReadOnlyCollection<string> tensors)
    {
        var missing = tensors.Where(t => !_ranges.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || _pendingStatistics is not null)
        {
            var statistics = _pendingStatistics;
            _pendingStatistics = null;
            foreach (var (tensor, range) in ActivationCollector.Collect(floatModel, missing, calibration, createEstimator(), progress, timer ?? new PhaseTimer(), statistics))
            {
                _ranges[tensor] = range;
            }
        }

        return _ranges;
    }
}
