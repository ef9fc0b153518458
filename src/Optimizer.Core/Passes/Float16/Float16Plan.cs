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

    private Float16Plan(
        GraphScopes scopes, TensorElementTypes types, Float16Options options, IReadOnlyDictionary<NodeProto, string> blocked,
        HashSet<NodeProto> boundaryCasts, ControlFlowPrecision controlFlow, ContainerValues containers)
    {
        Scopes = scopes;
        Containers = containers;
        Types = types;
        _options = options;
        Blocked = blocked;
        _boundaryCasts = boundaryCasts;
        ControlFlow = controlFlow;
    }

    /// <summary>The model's graphs and their names.</summary>
    public GraphScopes Scopes { get; }

    /// <summary>Element types before conversion.</summary>
    public TensorElementTypes Types { get; }

    /// <summary>If/Loop/Scan result slots that stay float32.</summary>
    public ControlFlowPrecision ControlFlow { get; }

    /// <summary>Sequence and optional values, whose element type is decided per family.</summary>
    public ContainerValues Containers { get; }

    /// <summary>Nodes that run in float32, with the reason for the report.</summary>
    public IReadOnlyDictionary<NodeProto, string> Blocked { get; }

    /// <summary>Float32 tensors that become float16.</summary>
    public HashSet<TensorKey> Half { get; } = [];

    /// <summary>Weights only float32 nodes read that are stored in 16 bits anyway, each behind one Cast to float32.</summary>
    public HashSet<TensorKey> CastBackWeights { get; } = [];

    /// <summary>Weights only float32 nodes read that stay exact float32, with the reason for the report.</summary>
    public Dictionary<TensorKey, string> ExactWeights { get; } = [];

    /// <summary>Every read of an originally float32 tensor, with the definition it reads.</summary>
    public List<(TensorUse Use, TensorKey Key)> Uses { get; } = [];

    /// <summary>Decides storage for every float32 tensor of the model.</summary>
    public static Float16Plan Create(
        GraphScopes scopes, TensorElementTypes types, IReadOnlyDictionary<TensorKey, TensorProto> weights,
        Float16Options options, IReadOnlyDictionary<NodeProto, string> blocked, HashSet<NodeProto> boundaryCasts, ControlFlowPrecision controlFlow,
        ContainerValues containers)
    {
        var plan = new Float16Plan(scopes, types, options, blocked, boundaryCasts, controlFlow, containers);
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
            return (isMain && _options.KeepIoTypes) || ControlFlow.KeepsBodyOutput(use.Graph, use.Index) ? DataType.Float : _options.Precision.ElementType();
        }

        if (Blocked.ContainsKey(node) || ControlFlow.KeepsNodeInput(node, use.Index))
        {
            return DataType.Float;
        }

        if (Containers.EntryType(use.Graph, node, use.Index, _options.Precision.ElementType()) is { } entry)
        {
            return entry;
        }

        if (_boundaryCasts.Contains(node) || (Opsets.IsDefaultDomain(node.Domain) && Float16OpTables.AnyTypeInputs.Contains(node.OpType)))
        {
            return null;
        }

        return Float16OpTables.Float32Inputs.TryGetValue(node.OpType, out var indices) && indices.Contains(use.Index)
            ? DataType.Float
            : _options.Precision.ElementType();
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
            for (var i = 0; i < graph.Input.Count; i++)
            {
                var key = new TensorKey(graph, graph.Input[i].Name);
                // Initializers listed as inputs (IR < 4) are weights, decided below.
                if (Types.Get(key) == DataType.Float && !weights.ContainsKey(key) && !(isMain && mainKeepsFloat) && !ControlFlow.KeepsBodyInput(graph, i))
                {
                    Half.Add(key);
                }
            }

            foreach (var node in graph.Node)
            {
                for (var i = 0; i < node.Output.Count; i++)
                {
                    var key = new TensorKey(graph, node.Output[i]);
                    if (node.Output[i].Length > 0 && Types.Get(key) == DataType.Float && !weights.ContainsKey(key) && OutputIsHalf(graph, node, i))
                    {
                        Half.Add(key);
                    }
                }
            }
        }

        Half.UnionWith(Containers.HalfValues);

        // A weight some 16-bit node reads is stored in 16 bits. One that only float32 nodes read is too, behind a Cast
        // back, when its rounding is as harmless as every other weight's (KeptWeightStorage); otherwise it stays exact.
        var wantsHalf = Uses.Where(u => Wanted(u.Use) != DataType.Float).Select(u => u.Key).ToHashSet();
        var wantsFloat = Uses.Where(u => Wanted(u.Use) == DataType.Float).Select(u => u.Key).ToHashSet();
        foreach (var (key, tensor) in weights)
        {
            if (wantsHalf.Contains(key) || !wantsFloat.Contains(key))
            {
                Half.Add(key);
            }
            else if (KeptWeightStorage.Float32Reason(tensor, _options) is { } reason)
            {
                ExactWeights[key] = reason;
            }
            else
            {
                Half.Add(key);
                CastBackWeights.Add(key);
            }
        }
    }

    private bool OutputIsHalf(GraphProto graph, NodeProto node, int index) =>
        !Blocked.ContainsKey(node)
        && Containers.ExitIsHalf(graph, node) != false
        && !_boundaryCasts.Contains(node)
        && !ControlFlow.KeepsNodeOutput(node, index)
        && !(Float16OpTables.Float32Outputs.TryGetValue(node.OpType, out var indices) && indices.Contains(index));
}
