using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Output reconstruction: every layer that lost input channels (Conv, Gemm, MatMul) is refitted, in graph order, so
/// that on calibration data its output from the pruned model's inputs matches the unpruned layer's output. Each refit
/// sees the inputs the already refitted layers above it produce, so errors do not accumulate down the network.
/// </summary>
internal static class LayerReconstruction
{
    /// <summary>A layer to refit: its node in the pruned model and its refit view.</summary>
    private sealed record Target(NodeProto Node, RefitLayer Layer);

    /// <summary>Refits the layers of <paramref name="pruned"/> whose input channels were removed; returns how many were refitted.</summary>
    public static int Refit(ModelProto original, ModelProto pruned, ChannelAnalysis analysis, IReadOnlyDictionary<int, int[]> keptByRoot,
        IReadOnlyList<CalibrationSample> samples, Action<string> note)
    {
        var kept = analysis.ForAllIds(keptByRoot);
        var nodes = pruned.Graph.Node.Where(n => n.Output.Count > 0).ToDictionary(n => n.Output[0], StringComparer.Ordinal);
        var initializers = PrunableLayers.Initializers(pruned.Graph);
        var targets = new List<Target>();
        foreach (var edit in analysis.Edits.Where(e => e.Role == ChannelEditRole.Input && e.Layout.KeptPositions(kept).Length < e.Layout.Length))
        {
            var output = analysis.Edits.FirstOrDefault(e => e.Role == ChannelEditRole.Output && ReferenceEquals(e.Node, edit.Node) && e.Tensor == edit.Tensor);
            var node = nodes[edit.Node.Output[0]];
            string? reason = Unsupported(node);
            var layer = reason is null ? RefitLayer.For(node, initializers, output?.Layout.KeptPositions(kept), samples.Count, out reason) : null;
            if (layer is not null)
            {
                targets.Add(new Target(node, layer));
            }
            else
            {
                note($"reconstruction skipped {node.OpType} '{node.Name}': {reason}");
            }
        }

        if (targets.Count == 0)
        {
            return 0;
        }

        // The unpruned layers' outputs are the targets; one run of the original model records them all.
        var layers = targets.ToDictionary(t => t.Node.Output[0], t => t.Layer, StringComparer.Ordinal);
        TracedActivations.Run(original, layers.Keys.ToList(), samples, "original model (reconstruction targets)", results =>
        {
            foreach (var result in results)
            {
                layers[result.Name].AddExpected(result);
            }
        });

        foreach (var target in targets)
        {
            var inputs = new List<TensorResult>();
            TracedActivations.Run(pruned, [target.Node.Input[0]], samples, "pruned model (reconstruction inputs)", results => inputs.Add(results[0]));
            target.Layer.Refit(inputs);
        }

        return targets.Count;
    }

    private static string? Unsupported(NodeProto node) => node.OpType switch
    {
        "Conv" when Attributes.GetInt(node, "group", 1) != 1 => "grouped convolution",
        _ => null,
    };
}
