using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>A Conv, Gemm or MatMul of the main graph whose weight (input 1) is a float initializer pruning may edit.</summary>
internal sealed record PrunableLayer(NodeProto Node, TensorProto Weight);

/// <summary>
/// Finds the layers pruning may touch: Conv/Gemm/MatMul in the main graph with a float initializer weight that no
/// other node reads (a shared weight edited for one reader would silently change the other) and that the user did
/// not exclude by node or weight name.
/// </summary>
internal static class PrunableLayers
{
    /// <summary>Op types whose weights carry the model's parameters.</summary>
    public static readonly IReadOnlySet<string> WeightOps = new HashSet<string>(StringComparer.Ordinal) { "Conv", "Gemm", "MatMul" };

    /// <summary>The prunable layers of <paramref name="model"/>, in graph order.</summary>
    public static IReadOnlyList<PrunableLayer> Find(ModelProto model, IReadOnlyList<string> exclude)
    {
        var excluded = new NodeNameMatcher(exclude);
        var initializers = Initializers(model.Graph);
        var reads = ReadCounts(model);
        var layers = new List<PrunableLayer>();
        foreach (var node in model.Graph.Node)
        {
            if (IsWeightOp(node) && node.Input.Count > 1 && initializers.TryGetValue(node.Input[1], out var weight)
                && TensorValues.IsFloatingPoint(weight) && reads[weight.Name] == 1
                && !excluded.IsMatch(node.Name) && !excluded.IsMatch(weight.Name))
            {
                layers.Add(new PrunableLayer(node, weight));
            }
        }

        return layers;
    }

    /// <summary>True for a default-domain Conv, Gemm or MatMul.</summary>
    public static bool IsWeightOp(NodeProto node) => Opsets.IsDefaultDomain(node.Domain) && WeightOps.Contains(node.OpType);

    /// <summary>The main graph's initializers by name.</summary>
    public static Dictionary<string, TensorProto> Initializers(GraphProto graph) =>
        graph.Initializer.GroupBy(i => i.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>How many node inputs (in every graph) and graph outputs read each name.</summary>
    public static Dictionary<string, int> ReadCounts(ModelProto model)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var graph in ModelWalker.AllGraphs(model))
        {
            foreach (var name in graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)))
            {
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }

        return counts;
    }
}
