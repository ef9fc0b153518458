using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// Float32 sparse weights (graph sparse initializers and <c>sparse_value</c> Constants), converted like dense ones: only
/// their values tensor holds floats, so converting it in place keeps the indices and dims. Left alone they stayed
/// float32 next to float16 readers, which ONNX Runtime rejects.
/// </summary>
internal static class SparseWeights
{
    /// <summary>
    /// Declares each float32 sparse initializer's type as value_info, since <see cref="TensorElementTypes"/> reads dense
    /// initializers only; without it the tensors computed from a sparse weight would have no known type.
    /// </summary>
    public static void DeclareTypes(ModelProto model)
    {
        foreach (var graph in ModelWalker.AllGraphs(model))
        {
            var declared = graph.Input.Concat(graph.ValueInfo).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var sparse in graph.SparseInitializer.Where(s => s.Values is { DataType: (int)DataType.Float } && !declared.Contains(s.Values.Name)))
            {
                graph.ValueInfo.Add(Nodes.TensorInfo(sparse.Values.Name, DataType.Float, sparse.Dims.Cast<object>().ToArray()));
            }
        }
    }

    /// <summary>The float32 values tensors of <paramref name="graph"/>'s sparse weights, by the name they define.</summary>
    public static IEnumerable<(string Name, TensorProto Values)> In(GraphProto graph)
    {
        foreach (var sparse in graph.SparseInitializer.Where(s => s.Values is { DataType: (int)DataType.Float }))
        {
            yield return (sparse.Values.Name, sparse.Values);
        }

        foreach (var node in graph.Node.Where(n => n.OpType == "Constant" && Opsets.IsDefaultDomain(n.Domain) && n.Output.Count == 1))
        {
            if (Attributes.Find(node, "sparse_value")?.SparseTensor?.Values is { DataType: (int)DataType.Float } values)
            {
                yield return (node.Output[0], values);
            }
        }
    }
}
