using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Runs the float model in ONNX Runtime on every calibration sample with the requested intermediate tensors exposed
/// as extra graph outputs, and streams each sample's values into an <see cref="IRangeEstimator"/>. At most two samples'
/// activations are alive at a time (one observed while the next runs), so memory does not grow with the number of samples.
/// </summary>
public static class ActivationCollector
{
    /// <summary>
    /// Estimates the range of each float tensor in <paramref name="tensors"/> (main-graph inputs or node outputs).
    /// The model is not modified; a copy with the extra outputs is what ONNX Runtime runs.
    /// </summary>
    public static IReadOnlyDictionary<string, TensorRange> Collect(
        ModelProto model, IReadOnlyCollection<string> tensors, CalibrationSet calibration, IRangeEstimator estimator)
    {
        if (calibration.Samples.Count == 0)
        {
            throw new OptimizerException(ErrorCodes.CalibrationMismatch,
                "INT8 quantization needs at least one calibration sample to measure activation ranges; none was given.");
        }

        var graphInputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var fromInputs = tensors.Where(graphInputs.Contains).ToList();
        var fromRuns = tensors.Where(t => !graphInputs.Contains(t)).Distinct(StringComparer.Ordinal).ToList();

        using var session = fromRuns.Count == 0 ? null : ModelSession.Create(WithOutputs(model, fromRuns), "float model for calibration");
        Task? observing = null;
        foreach (var sample in calibration.Samples)
        {
            var results = session?.Run(sample, fromRuns) ?? [];
            // Histograms of one sample are filled on another core while ORT runs the next sample (ORT runs on one
            // thread here), so estimation costs no wall time until it outgrows inference; one observer at a time
            // keeps the estimator single-threaded and the order of observations fixed.
            observing?.GetAwaiter().GetResult();
            observing = Task.Run(() => Observe(estimator, sample, fromInputs, results));
        }

        observing?.GetAwaiter().GetResult();
        return estimator.Ranges();
    }

    private static void Observe(IRangeEstimator estimator, CalibrationSample sample, List<string> fromInputs, IReadOnlyList<TensorResult> results)
    {
        // Graph inputs are read from the sample itself: ONNX Runtime cannot return an input as an output.
        foreach (var name in fromInputs)
        {
            if (sample.Inputs.FirstOrDefault(i => i.Name == name) is { Data: float[] data })
            {
                estimator.Observe(name, data);
            }
        }

        foreach (var result in results)
        {
            estimator.Observe(result.Name, result.Values);
        }
    }

    /// <summary>
    /// A copy of the model whose outputs also include <paramref name="tensors"/>. ONNX Runtime 1.31 accepts outputs
    /// without a type (measured), but each added output still declares float, which every requested tensor is, so that
    /// the model stays valid for stricter checkers; the shape is omitted so symbolic dims never conflict with the
    /// concrete calibration shapes.
    /// </summary>
    internal static ModelProto WithOutputs(ModelProto model, IEnumerable<string> tensors)
    {
        // The weights are shared, not copied: ORT gets its own copy when the session is created, a third is waste.
        var copy = SharedWeightCopy.Of(model);
        var existing = copy.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var tensor in tensors.Where(t => !existing.Contains(t)))
        {
            copy.Graph.Output.Add(new ValueInfoProto
            {
                Name = tensor,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
            });
        }

        return copy;
    }
}
