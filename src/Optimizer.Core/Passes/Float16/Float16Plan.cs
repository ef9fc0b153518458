using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>One read of a tensor: input <see cref="Index"/> of <see cref="Node"/>, or output <see cref="Index"/> of <see cref="Graph"/> when Node is null.</summary>
internal readonly record struct TensorUse(GraphProto Graph, NodeProto? Node, int Index);

/// <summary>
/// The decision the conversion carries out: which float32 tensors are stored as float16 and which reads need
/// float32. Every decision is about a tensor's definition (<see cref="TensorKey"/>), so a name read from inside a
/// subgraph gets the same type as in the graph that defines it.
/// </summary>
internal sealed class Float16Plan
{
    private readonly Float16Options _options;
    private readonly HashSet<NodeProto> _boundaryCasts;

    private Float16Plan(GraphScopes scopes, TensorElementTypes types, Float16Options options, IReadOnlyDictionary<NodeProto, string> blocked, HashSet<NodeProto> boundaryCasts)
    {
        Scopes = scopes;
        Types = types;
        _options = options;
        Blocked = blocked;
        _boundaryCasts = boundaryCasts;
    }

    /// <summary>The model's graphs and their names.</summary>
    public GraphScopes Scopes { get; }

    /// <summary>Element types before conversion.</summary>
    public TensorElementTypes Types { get; }

    /// <summary>Nodes that run in float32, with the reason for the report.</summary>
    public IReadOnlyDictionary<NodeProto, string> Blocked { get; }

    /// <summary>Float32 tensors that become float16.</summary>
    public HashSet<TensorKey> Half { get; } = [];

    /// <summary>Every read of an originally float32 tensor, with the definition it reads.</summary>
    public List<(TensorUse Use, TensorKey Key)> Uses { get; } = [];

    /// <summary>Decides storage for every float32 tensor of the model.</summary>
    public static Float16Plan Create(
        GraphScopes scopes, TensorElementTypes types, IReadOnlyDictionary<TensorKey, TensorProto> weights,
        Float16Options options, IReadOnlyDictionary<NodeProto, string> blocked, HashSet<NodeProto> boundaryCasts)
    {
        var plan = new Float16Plan(scopes, types, options, blocked, boundaryCasts);
        plan.CollectUses();
        plan.DecideStorage(weights);
        return plan;
    }

    /// <summary>The type a read needs, or null when any type will do (Cast, Shape, Size).</summary>
    public DataType? Wanted(TensorUse use)
    {
        if (use.Node is not { } node)
        {
            var isMain = ReferenceEquals(use.Graph, Scopes.Main);
            return isMain && _options.KeepIoTypes ? DataType.Float : DataType.Float16;
        }

        if (Blocked.ContainsKey(node))
        {
            return DataType.Float;
        }

        if (_boundaryCasts.Contains(node) || (Opsets.IsDefaultDomain(node.Domain) && Float16OpTables.AnyTypeInputs.Contains(node.OpType)))
        {
            return null;
        }

        return Float16OpTables.Float32Inputs.TryGetValue(node.OpType, out var indices) && indices.Contains(use.Index)
            ? DataType.Float
            : DataType.Float16;
    }

    private void CollectUses()
    {
        foreach (var graph in Scopes.Graphs)
        {
            foreach (var node in graph.Node)
            {
                for (var i = 0; i < node.Input.Count; i++)
                {
                    AddUse(new TensorUse(graph, node, i), node.Input[i]);
                }
            }

            for (var i = 0; i < graph.Output.Count; i++)
            {
                AddUse(new TensorUse(graph, null, i), graph.Output[i].Name);
            }
        }
    }

    private void AddUse(TensorUse use, string name)
    {
        if (name.Length > 0 && Scopes.Resolve(use.Graph, name) is { } key && Types.Get(key) == DataType.Float)
        {
            Uses.Add((use, key));
        }
    }

    private void DecideStorage(IReadOnlyDictionary<TensorKey, TensorProto> weights)
    {
        var mainKeepsFloat = _options.KeepIoTypes;
        foreach (var graph in Scopes.Graphs)
        {
            var isMain = ReferenceEquals(graph, Scopes.Main);
            foreach (var input in graph.Input)
            {
                var key = new TensorKey(graph, input.Name);
                // Initializers listed as inputs (IR < 4) are weights, decided below.
                if (Types.Get(key) == DataType.Float && !weights.ContainsKey(key) && !(isMain && mainKeepsFloat))
                {
                    Half.Add(key);
                }
            }

            foreach (var node in graph.Node)
            {
                for (var i = 0; i < node.Output.Count; i++)
                {
                    var key = new TensorKey(graph, node.Output[i]);
                    if (node.Output[i].Length > 0 && Types.Get(key) == DataType.Float && !weights.ContainsKey(key) && OutputIsHalf(node, i))
                    {
                        Half.Add(key);
                    }
                }
            }
        }

        // A weight stays float32 only when every read needs float32: converting it and casting back would lose precision for nothing.
        var wantsHalf = Uses.Where(u => Wanted(u.Use) != DataType.Float).Select(u => u.Key).ToHashSet();
        var wantsFloat = Uses.Where(u => Wanted(u.Use) == DataType.Float).Select(u => u.Key).ToHashSet();
        foreach (var key in weights.Keys)
        {
            if (wantsHalf.Contains(key) || !wantsFloat.Contains(key))
            {
                Half.Add(key);
            }
        }
    }

    private bool OutputIsHalf(NodeProto node, int index) =>
        !Blocked.ContainsKey(node)
        && !_boundaryCasts.Contains(node)
        && !(Float16OpTables.Float32Outputs.TryGetValue(node.OpType, out var indices) && indices.Contains(index));
}
