using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Removes channels from a model as a <see cref="ChannelAnalysis"/> prescribes: slices every recorded initializer,
/// updates depthwise group counts, and drops the now stale shape annotations of the traced tensors.
/// </summary>
internal static class ChannelSurgery
{
    /// <summary>
    /// Keeps, for each root group in <paramref name="keptByRoot"/>, only the listed channels (ascending) of
    /// <paramref name="model"/>, which must be the model <paramref name="analysis"/> traced (or an unchanged clone).
    /// </summary>
    public static void Apply(ModelProto model, ChannelAnalysis analysis, IReadOnlyDictionary<int, int[]> keptByRoot)
    {
        var kept = analysis.ForAllIds(keptByRoot);
        var graph = model.Graph;
        var initializers = PrunableLayers.Initializers(graph);
        foreach (var edit in analysis.Edits)
        {
            var positions = edit.Layout.KeptPositions(kept);
            if (positions.Length != edit.Layout.Length)
            {
                TensorSlicing.Keep(initializers[edit.Tensor], edit.Axis, positions);
            }
        }

        // The analysis may hold the nodes of another clone of this model; outputs are unique, so they find ours.
        var producers = graph.Node.Where(n => n.Output.Count > 0 && n.Output[0].Length > 0).ToDictionary(n => n.Output[0], StringComparer.Ordinal);
        foreach (var (node, layout) in analysis.GroupAttributes)
        {
            Attributes.Find(producers[node.Output[0]], "group")!.I = layout.KeptPositions(kept).Length;
        }

        var traced = analysis.Layouts.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var info in graph.ValueInfo.Where(v => traced.Contains(v.Name)).ToList())
        {
            graph.ValueInfo.Remove(info);
        }

        // Old IR versions list initializers among the graph inputs, with their shapes.
        foreach (var input in graph.Input.Where(i => initializers.ContainsKey(i.Name) && i.Type?.TensorType?.Shape is not null))
        {
            var shape = input.Type.TensorType.Shape;
            shape.Dim.Clear();
            foreach (var dim in initializers[input.Name].Dims)
            {
                shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
            }
        }
    }
}
