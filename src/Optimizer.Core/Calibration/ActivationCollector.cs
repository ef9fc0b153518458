using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Runs the float model in ONNX Runtime on every calibration sample with the requested intermediate tensors exposed
/// as extra graph outputs, and streams each sample's values into an <see cref="IRangeEstimator"/>. Only one sample's
/// activations are alive at a time, so memory does not grow with the number of samples.
/// </summary>
public static class ActivationCollector
{
    /// <summary>
    /// Estimates the range of each float tensor in <paramref name="tensors"/> (main-graph inputs or node outputs).
    /// The model is not modified; a copy with the extra outputs is what ONNX Runtime runs. <paramref name="progress"/>
    /// receives "calibration sample i/N" lines for detailed logs.
    /// </summary>
    public static IReadOnlyDictionary<string, TensorRange> Collect(
        ModelProto model, IReadOnlyCollection<string> tensors, CalibrationSet calibration, IRangeEstimator estimator, Action<string>? progress = null)
    {
        if (calibration.Samples.Count == 0)
        {
            throw new OptimizerException(ErrorCodes.CalibrationMismatch,
                "INT8 quantization needs at least one calibration sample to measure activation ranges; none was given.");
        }

        var graphInputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var fromInputs = tensors.Where(graphInputs.Contains).ToList();
        var fromRuns = tensors.Where(t => !graphInputs.Contains(t)).Distinct(StringComparer.Ordinal).ToList();

        if (estimator.NeedsOnlyExtremes && fromRuns.Count > 0)
        {
            var (extremesModel, outputs) = WithExtremes(model, fromRuns);
            using var extremes = ModelSession.Create(extremesModel, "float model for calibration");
            foreach (var (sample, index) in calibration.Samples.Select((s, i) => (s, i)))
            {
                Report(progress, index, calibration.Samples.Count);
                var results = extremes.Run(sample, outputs);
                Observe(estimator, sample, fromInputs, fromRuns.Select((t, i) => new TensorResult(t, [2], [results[2 * i].Values[0], results[(2 * i) + 1].Values[0]])).ToList());
            }

            return estimator.Ranges();
        }

        using var session = fromRuns.Count == 0 ? null : ModelSession.Create(WithOutputs(model, fromRuns), "float model for calibration");
        foreach (var (sample, index) in calibration.Samples.Select((s, i) => (s, i)))
        {
            Report(progress, index, calibration.Samples.Count);
            Observe(estimator, sample, fromInputs, session?.Run(sample, fromRuns) ?? []);
        }

        return estimator.Ranges();
    }

    // Every sample for small sets, about ten lines for large ones: enough to see a long calibration move.
    private static void Report(Action<string>? progress, int index, int count)
    {
        if (progress is not null && (count <= 20 || index % Math.Max(1, count / 10) == 0 || index == count - 1))
        {
            progress($"calibration sample {index + 1}/{count}");
        }
    }

    /// <summary>
    /// A copy of the model that also outputs the smallest and largest finite value of each tensor, as scalars computed
    /// by ONNX Runtime (infinities, such as attention masks, are replaced by 0 first, which the quantized range covers
    /// anyway); returns the model and the output names, min then max per tensor.
    /// </summary>
    private static (ModelProto Model, List<string> Outputs) WithExtremes(ModelProto model, IReadOnlyList<string> tensors)
    {
        var copy = SharedWeightCopy.Of(model);
        var graph = copy.Graph;
        var names = new UniqueNames(copy);
        var zero = names.Take("calibration_zero");
        graph.Initializer.Add(TensorValues.FromFloats(zero, [], [0f]));
        var outputs = new List<string>();
        foreach (var tensor in tensors)
        {
            var isInfinite = names.Take($"{tensor}_is_infinite");
            var finite = names.Take($"{tensor}_finite");
            graph.Node.Add(Nodes.Create("IsInf", names.Take($"{tensor}_IsInf"), [tensor], [isInfinite]));
            graph.Node.Add(Nodes.Create("Where", names.Take($"{tensor}_Where"), [isInfinite, zero, tensor], [finite]));
            foreach (var op in new[] { "ReduceMin", "ReduceMax" })
            {
                var output = names.Take($"{tensor}_{op}");
                graph.Node.Add(Nodes.Create(op, names.Take($"{tensor}_{op}_node"), [finite], [output], Attributes.Int("keepdims", 0)));
                graph.Output.Add(new ValueInfoProto
                {
                    Name = output,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
                });
                outputs.Add(output);
            }
        }

        return (copy, outputs);
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
