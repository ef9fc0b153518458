using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Onnx;

/// <summary>
/// The element type of every tensor in every graph of a model: declared types (inputs, outputs, value_info,
/// initializers) first, then per-op rules for the rest. Passes that change types (float16, quantization) need to know
/// which tensors are float without running ONNX shape inference, which has no .NET implementation.
/// </summary>
public sealed class TensorElementTypes
{
    private readonly Dictionary<TensorKey, DataType> _types = [];
    private readonly GraphScopes _scopes;

    private TensorElementTypes(GraphScopes scopes) => _scopes = scopes;

    /// <summary>Infers the types of <paramref name="scopes"/>' model. Unknown types (sequences, unknown custom ops) stay absent.</summary>
    public static TensorElementTypes Infer(GraphScopes scopes)
    {
        var types = new TensorElementTypes(scopes);
        types.InferGraph(scopes.Main);
        return types;
    }

    /// <summary>The element type of the tensor a read of <paramref name="name"/> in <paramref name="graph"/> refers to.</summary>
    public DataType? Get(GraphProto graph, string name) =>
        name.Length > 0 && _scopes.Resolve(graph, name) is { } key && _types.TryGetValue(key, out var type) ? type : null;

    /// <summary>The element type of a definition.</summary>
    public DataType? Get(TensorKey key) => _types.TryGetValue(key, out var type) ? type : null;

    private void InferGraph(GraphProto graph)
    {
        foreach (var info in graph.Input.Concat(graph.ValueInfo).Concat(graph.Output))
        {
            if (info.Type?.TensorType is { } tensorType && tensorType.ElemType != 0)
            {
                _types.TryAdd(new TensorKey(graph, info.Name), (DataType)tensorType.ElemType);
            }
        }

        foreach (var initializer in graph.Initializer)
        {
            _types[new TensorKey(graph, initializer.Name)] = (DataType)initializer.DataType;
        }

        foreach (var node in graph.Node)
        {
            foreach (var sub in ModelWalker.Subgraphs(node))
            {
                InferGraph(sub);
            }

            var outputs = ElementTypeRules.OutputTypes(node, i => i < node.Input.Count ? Get(graph, node.Input[i]) : null, SubgraphOutputs);
            for (var i = 0; i < node.Output.Count && i < outputs.Count; i++)
            {
                if (node.Output[i].Length > 0 && outputs[i] is { } type)
                {
                    _types.TryAdd(new TensorKey(graph, node.Output[i]), type);
                }
            }
        }
    }

    private IReadOnlyList<DataType?> SubgraphOutputs(GraphProto sub) => sub.Output.Select(o => Get(sub, o.Name)).ToList();
}
