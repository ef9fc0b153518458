using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>A main-graph MatMul whose second input is a 2-D float weight [K, N] and whose first input is a float activation.</summary>
internal sealed record MatMulWeight(NodeProto Node, TensorProto Weight)
{
    /// <summary>The inner (reduction) dimension.</summary>
    public int K => (int)Weight.Dims[0];

    /// <summary>The output dimension.</summary>
    public int N => (int)Weight.Dims[1];
}

/// <summary>Finds the MatMul weights the dynamic and weight-only modes quantize, honouring the exclusions.</summary>
internal static class MatMulWeights
{
    /// <summary>
    /// Every main-graph MatMul with a float [K, N] initializer as its second input (at least <paramref name="minInner"/>
    /// rows), not excluded by <paramref name="options"/>; MatMuls whose first input is a weight too are left alone.
    /// </summary>
    public static List<MatMulWeight> Find(ModelProto model, QuantizationOptions options, int minInner = 1)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.GroupBy(i => i.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var types = TensorElementTypes.Infer(new GraphScopes(model));
        var excluded = new NodeNameMatcher(options.ExcludeNodeNames);
        return graph.Node
            .Where(n => n.OpType == "MatMul" && Opsets.IsDefaultDomain(n.Domain) && n.Input.Count == 2
                && !options.ExcludeOpTypes.Contains(n.OpType) && !excluded.IsMatch(n.Name)
                && !initializers.ContainsKey(n.Input[0]) && types.Get(graph, n.Input[0]) == DataType.Float)
            .Select(n => initializers.TryGetValue(n.Input[1], out var w)
                && w is { Dims.Count: 2 } && (DataType)w.DataType == DataType.Float && w.Dims[0] >= minInner && w.Dims[1] > 0
                ? new MatMulWeight(n, w) : null)
            .OfType<MatMulWeight>()
            .ToList();
    }
}
