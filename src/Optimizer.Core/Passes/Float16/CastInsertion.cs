using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// Creates Cast nodes, one per tensor and target type, placed in the graph that defines the tensor right after its
/// producer, so every reader (including readers in subgraphs) shares it and the node order stays topological.
/// </summary>
internal sealed class CastInsertion(GraphScopes scopes, UniqueNames names)
{
    private readonly Dictionary<(TensorKey Key, DataType To), string> _casts = [];
    private readonly Dictionary<GraphProto, Dictionary<string, List<NodeProto>>> _pending = new(ReferenceEqualityComparer.Instance);

    /// <summary>Casts created so far, by target type.</summary>
    public Dictionary<DataType, int> Created { get; } = [];

    /// <summary>The Cast nodes created so far.</summary>
    public HashSet<NodeProto> CreatedNodes { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>The outputs of the Casts created so far, with their element type.</summary>
    public Dictionary<TensorKey, DataType> Outputs { get; } = [];

    /// <summary>The name of <paramref name="key"/> cast to <paramref name="to"/>, creating the Cast on first request.</summary>
    public string CastOf(TensorKey key, DataType to)
    {
        if (_casts.TryGetValue((key, to), out var existing))
        {
            return existing;
        }

        var suffix = to == DataType.Float ? "fp32" : to == DataType.Bfloat16 ? "bf16" : "fp16";
        var output = names.Take($"{key.Name}.{suffix}");
        var node = Nodes.Create("Cast", names.Take($"{key.Name}.cast_{suffix}"), [key.Name], [output], Attributes.Int("to", (long)to));
        Pending(key.Graph, key.Name).Add(node);
        CreatedNodes.Add(node);
        scopes.Define(key.Graph, output);
        _casts[(key, to)] = output;
        Outputs[new TensorKey(key.Graph, output)] = to;
        Created[to] = Created.GetValueOrDefault(to) + 1;
        return output;
    }

    /// <summary>Adds a ready-made Cast to run right after <paramref name="tensor"/> is available in <paramref name="graph"/>.</summary>
    public void Place(GraphProto graph, string tensor, NodeProto cast) => Pending(graph, tensor).Add(cast);

    /// <summary>Writes the pending Casts into their graphs: after the producer of their input, or first for inputs and initializers.</summary>
    public void Flush()
    {
        foreach (var (graph, pending) in _pending)
        {
            var produced = graph.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
            var result = new List<NodeProto>(graph.Node.Count + pending.Count);
            result.AddRange(pending.Where(p => !produced.Contains(p.Key)).SelectMany(p => p.Value));
            foreach (var node in graph.Node)
            {
                result.Add(node);
                foreach (var output in node.Output)
                {
                    if (output.Length > 0 && pending.TryGetValue(output, out var casts))
                    {
                        result.AddRange(casts);
                    }
                }
            }

            graph.Node.Clear();
            graph.Node.AddRange(result);
        }

        _pending.Clear();
    }

    private List<NodeProto> Pending(GraphProto graph, string tensor)
    {
        if (!_pending.TryGetValue(graph, out var byTensor))
        {
            _pending[graph] = byTensor = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        }

        if (!byTensor.TryGetValue(tensor, out var list))
        {
            byTensor[tensor] = list = [];
        }

        return list;
    }
}
