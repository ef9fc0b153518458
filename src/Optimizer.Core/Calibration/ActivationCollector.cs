using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Runs the float model in ONNX Runtime on every calibration sample with the requested intermediate tensors exposed
/// as extra graph outputs, and streams each sample's values into an <see cref="IRangeEstimator"/>: only each tensor's
/// extremes, reduced inside ORT (<see cref="ExtremeValuesSession"/>), when the estimator needs no more, else every value,
/// read in place. Only one sample's activations are alive at a time, so memory does not grow with the number of samples.
/// </summary>
public static class ActivationCollector
{
    /// <summary>
    /// Estimates the range of each float tensor in <paramref name="tensors"/> (main-graph inputs or node outputs).
    /// The model is not modified; a copy with the extra outputs is what ONNX Runtime runs. <paramref name="progress"/>
    /// receives "calibration sample i/N" lines for detailed logs.
    /// </summary>
    public static IReadOnlyDictionary<string, TensorRange> Collect(
        ModelProto model, IReadOnlyCollection<string> tensors, CalibrationSet calibration, IRangeEstimator estimator, Action<string>? progress = null) =>
        Collect(model, tensors, calibration, estimator, progress, new PhaseTimer());

    /// <summary>
    /// As the public overload, recording session creation, runs and range estimation in <paramref name="timer"/>, and
    /// computing <paramref name="statistics"/> in the same runs; those need an estimator that reads only extremes.
    /// </summary>
    internal static IReadOnlyDictionary<string, TensorRange> Collect(
        ModelProto model, IReadOnlyCollection<string> tensors, CalibrationSet calibration, IRangeEstimator estimator, Action<string>? progress, PhaseTimer timer,
        ISampleStatistics? statistics = null)
    {
        if (statistics is not null && !estimator.NeedsOnlyExtremes)
        {
            throw new ArgumentException("Sample statistics ride on the extremes-only calibration session.", nameof(statistics));
        }

        statistics = statistics is { IsEmpty: false } ? statistics : null;

        if (calibration.Samples.Count == 0)
        {
            throw new OptimizerException(ErrorCodes.CalibrationMismatch,
                "INT8 quantization needs at least one calibration sample to measure activation ranges; none was given.");
        }

        var graphInputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var fromInputs = tensors.Where(graphInputs.Contains).ToList();
        var fromRuns = tensors.Where(t => !graphInputs.Contains(t)).Distinct(StringComparer.Ordinal).ToList();
        var samples = calibration.Samples;
        if (estimator.NeedsOnlyExtremes && (fromRuns.Count > 0 || statistics is not null))
        {
            using var extremes = new ExtremeValuesSession(model, fromRuns, timer, statistics);
            timer.Time("calibration runs", () =>
            {
                for (var index = 0; index < samples.Count; index++)
                {
                    Report(progress, index, samples.Count);
                    var ranges = extremes.Run(samples[index]);
                    ObserveInputs(estimator, samples[index], fromInputs);
                    for (var i = 0; i < fromRuns.Count; i++)
                    {
                        estimator.Observe(fromRuns[i], [ranges[i].Min, ranges[i].Max]);
                    }
                }
            });
        }
        else
        {
            using var session = fromRuns.Count == 0 ? null
                : timer.Time("calibration session", () => ModelSession.CreateForAnalysis(WithOutputs(model, fromRuns), "float model for calibration"));
            timer.Time("calibration runs", () =>
            {
                for (var index = 0; index < samples.Count; index++)
                {
                    Report(progress, index, samples.Count);
                    ObserveInputs(estimator, samples[index], fromInputs);
                    // Read where ORT left them: copying every activation out would cost as much as binning it.
                    session?.RunInPlace(samples[index], fromRuns, outputs =>
                    {
                        for (var i = 0; i < fromRuns.Count; i++)
                        {
                            estimator.Observe(fromRuns[i], outputs.Values(i));
                        }
                    });
                }
            });
        }

        return timer.Time("range estimation", estimator.Ranges);
    }

    // Every sample for small sets, about ten lines for large ones: enough to see a long calibration move.
    private static void Report(Action<string>? progress, int index, int count)
    {
        if (progress is not null && (count <= 20 || index % Math.Max(1, count / 10) == 0 || index == count - 1))
        {
            progress($"calibration sample {index + 1}/{count}");
        }
    }

    /// <summary>Graph inputs are read from the sample itself: ONNX Runtime cannot return an input as an output.</summary>
    private static void ObserveInputs(IRangeEstimator estimator, CalibrationSample sample, List<string> fromInputs)
    {
        foreach (var name in fromInputs)
        {
            if (sample.Inputs.FirstOrDefault(i => i.Name == name) is { Data: float[] data })
            {
                estimator.Observe(name, data);
            }
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
