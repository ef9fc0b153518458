using System.Collections.Frozen;
using System.Globalization;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// Sequence and optional values (<c>seq(tensor(float))</c>, <c>optional(tensor(float))</c>) and the tensors that enter
/// and leave them. A container cannot be Cast, so every value linked through container ops (SequenceInsert,
/// SequenceErase, Identity) and through If/Loop/Scan slots forms one family with a single element type, decided as a
/// whole: 16-bit unless a tensor entering or leaving it exceeds the limit on calibration data, one of its ops is in the
/// block list, or it is a model input or output kept float32. Casts go where tensors enter (SequenceConstruct,
/// SequenceInsert, SplitToSequence, Optional) and leave (SequenceAt, ConcatFromSequence, OptionalGetElement).
/// </summary>
internal sealed class ContainerValues
{
    /// <summary>Ops that read a container and output a tensor of its element type.</summary>
    private static readonly FrozenSet<string> ExitOps = new[] { "SequenceAt", "ConcatFromSequence", "OptionalGetElement" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Every op that makes, changes or reads a container; they move data without arithmetic, so they are never blocked themselves.</summary>
    private static readonly FrozenSet<string> Ops = ExitOps.Concat(
        ["SequenceConstruct", "SequenceInsert", "SequenceErase", "SplitToSequence", "SequenceEmpty", "SequenceLength", "Optional", "OptionalHasElement"])
        .ToFrozenSet(StringComparer.Ordinal);

    private readonly GraphScopes _scopes;
    private readonly TensorElementTypes _types;
    private readonly Dictionary<TensorKey, TensorKey> _parent = [];
    private readonly Dictionary<TensorKey, DataType?> _containers = [];
    private readonly HashSet<TensorKey> _linked = [];
    private readonly Dictionary<TensorKey, DataType?> _familyTypes = [];
    private readonly List<(GraphProto Graph, NodeProto Node)> _nodes = [];
    private readonly Dictionary<TensorKey, string> _keptFamilies = [];

    private ContainerValues(GraphScopes scopes, TensorElementTypes types) => (_scopes, _types) = (scopes, types);

    /// <summary>Float-element families kept float32, by one member, with the reason.</summary>
    public IEnumerable<(IReadOnlyList<string> Values, string Reason)> Kept =>
        _keptFamilies.Select(k => ((IReadOnlyList<string>)_containers.Keys.Where(m => Root(m) == k.Key).Select(m => m.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), k.Value));

    /// <summary>Every container value whose elements become 16-bit.</summary>
    public IEnumerable<TensorKey> HalfValues => _linked.Where(IsHalf);

    /// <summary>True for the default-domain sequence and optional ops.</summary>
    public static bool IsContainerOp(NodeProto node) => Opsets.IsDefaultDomain(node.Domain) && Ops.Contains(node.OpType);

    /// <summary>Finds the container values of the model <paramref name="scopes"/> indexes and links them into families.</summary>
    public static ContainerValues Find(GraphScopes scopes, TensorElementTypes types)
    {
        var values = new ContainerValues(scopes, types);
        foreach (var graph in scopes.Graphs)
        {
            values.Scan(graph);
        }

        // A family is a container family when any member is known to hold a sequence or optional; its element type is
        // float when any member holds float (mixed declarations are the exporter's to fix).
        foreach (var (key, type) in values._containers)
        {
            var root = values.Root(key);
            var known = values._familyTypes.GetValueOrDefault(root);
            values._familyTypes[root] = known == DataType.Float ? known : type ?? known;
        }

        return values;
    }

    /// <summary>
    /// Declares the element type of every tensor leaving a float container (a SequenceAt output has no declared type
    /// in most exports, and <see cref="TensorElementTypes"/> does not look into containers), as value_info without a
    /// shape, so the tensors after it are typed too. Repeats until nothing new is learnt, since a declared tensor
    /// may enter another container.
    /// </summary>
    public static void DeclareExitTypes(ModelProto model)
    {
        while (true)
        {
            var scopes = new GraphScopes(model);
            var values = Find(scopes, TensorElementTypes.Infer(scopes));
            var undeclared = values._nodes
                .Where(n => ExitOps.Contains(n.Node.OpType) && n.Node.Output.Count > 0 && values._types.Get(n.Graph, n.Node.Output[0]) is null)
                .Select(n => (n.Graph, n.Node.Output[0], Type: values.ElementType(n.Graph, n.Node.Input[0])))
                .Where(n => n.Type is not null)
                .ToList();
            if (undeclared.Count == 0)
            {
                return;
            }

            foreach (var (graph, name, type) in undeclared)
            {
                graph.ValueInfo.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type!.Value } } });
            }
        }
    }

    /// <summary>Decides which float families stay float32 (see the class summary).</summary>
    public void Decide(Float16Options options, IReadOnlyDictionary<TensorKey, float> ranges)
    {
        var io = _scopes.Main.Input.Concat(_scopes.Main.Output).Select(i => _scopes.Resolve(_scopes.Main, i.Name)).OfType<TensorKey>().ToList();
        foreach (var root in _familyTypes.Where(f => f.Value == DataType.Float).Select(f => f.Key))
        {
            if (KeepReason(root, options, ranges, io) is { } reason)
            {
                _keptFamilies[root] = reason;
            }
        }
    }

    /// <summary>True when <paramref name="key"/> is a container whose float elements become 16-bit.</summary>
    public bool IsHalf(TensorKey key) => Root(key) is var root && _familyTypes.GetValueOrDefault(root) == DataType.Float && !_keptFamilies.ContainsKey(root);

    /// <summary>True when <paramref name="key"/> is a sequence or optional value.</summary>
    public bool IsContainer(TensorKey key) => _familyTypes.ContainsKey(Root(key));

    /// <summary>
    /// The type input <paramref name="index"/> of <paramref name="node"/> must have when it is a tensor entering a
    /// float container: the family's element type (16-bit or float32); null when the input is no such entry.
    /// </summary>
    public DataType? EntryType(GraphProto graph, NodeProto node, int index, DataType low)
    {
        if (!IsEntry(node, index) || node.Output.Count == 0 || node.Output[0].Length == 0)
        {
            return null;
        }

        var container = new TensorKey(graph, node.Output[0]);
        return _familyTypes.GetValueOrDefault(Root(container)) == DataType.Float ? (IsHalf(container) ? low : DataType.Float) : null;
    }

    /// <summary>For a node reading a container into a tensor (SequenceAt...): whether that tensor is 16-bit; null for other nodes.</summary>
    public bool? ExitIsHalf(GraphProto graph, NodeProto node) =>
        Opsets.IsDefaultDomain(node.Domain) && ExitOps.Contains(node.OpType) && _scopes.Resolve(graph, node.Input[0]) is { } container
            ? IsHalf(container)
            : null;

    private void Scan(GraphProto graph)
    {
        foreach (var info in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            if (info.Type is { } type && (type.SequenceType is not null || type.OptionalType is not null) && _scopes.Resolve(graph, info.Name) is { } key)
            {
                Mark(key, TensorElement(type));
            }
        }

        foreach (var node in graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain)))
        {
            TensorKey? In(int i) => i < node.Input.Count && node.Input[i].Length > 0 ? _scopes.Resolve(graph, node.Input[i]) : null;
            DataType? TypeOf(int i) => i < node.Input.Count ? _types.Get(graph, node.Input[i]) : null;
            var output = node.Output.Count > 0 && node.Output[0].Length > 0 ? new TensorKey(graph, node.Output[0]) : (TensorKey?)null;
            if (Ops.Contains(node.OpType))
            {
                _nodes.Add((graph, node));
            }

            switch (node.OpType)
            {
                case "SequenceConstruct":
                    Mark(output, Enumerable.Range(0, node.Input.Count).Select(TypeOf).FirstOrDefault(t => t is not null));
                    break;
                case "SequenceInsert":
                    Mark(output, TypeOf(1));
                    Union(output, In(0));
                    break;
                case "SequenceErase":
                    Mark(output, null);
                    Union(output, In(0));
                    break;
                case "SplitToSequence":
                    Mark(output, TypeOf(0));
                    break;
                case "SequenceEmpty":
                    // ONNX's default dtype is float.
                    Mark(output, Attributes.Find(node, "dtype") is { } dtype ? (DataType)dtype.I : DataType.Float);
                    break;
                case "Optional":
                    Mark(output, TypeOf(0) ?? (Attributes.Find(node, "type")?.Tp is { } declared ? TensorElement(declared) : null));
                    break;
                case "Identity":
                    // Identity passes sequences through (common in Loop bodies); linking tensors as well is harmless.
                    Union(output, In(0));
                    break;
                case "If" or "Loop" or "Scan":
                    LinkSlots(graph, node);
                    break;
            }
        }
    }

    /// <summary>Links each If/Loop/Scan result with the body values that carry it (and, for Loop/Scan state, the initial value).</summary>
    private void LinkSlots(GraphProto graph, NodeProto node)
    {
        var (bodyOutputOffset, stateOffset, states) = node.OpType switch
        {
            "Loop" => (1, 2, Math.Max(node.Input.Count - 2, 0)),
            "Scan" => (0, 0, node.Input.Count - (int)Attributes.GetInt(node, "num_scan_inputs", 0)),
            _ => (0, 0, 0),
        };
        foreach (var body in ModelWalker.Subgraphs(node))
        {
            for (var slot = 0; slot < node.Output.Count && slot + bodyOutputOffset < body.Output.Count; slot++)
            {
                var result = node.Output[slot].Length > 0 ? new TensorKey(graph, node.Output[slot]) : (TensorKey?)null;
                Union(result, _scopes.Resolve(body, body.Output[slot + bodyOutputOffset].Name));
                if (slot < states && slot + stateOffset < body.Input.Count)
                {
                    Union(result, new TensorKey(body, body.Input[slot + stateOffset].Name));
                    Union(result, node.Input[slot + stateOffset].Length > 0 ? _scopes.Resolve(graph, node.Input[slot + stateOffset]) : null);
                }
            }
        }
    }

    private string? KeepReason(TensorKey root, Float16Options options, IReadOnlyDictionary<TensorKey, float> ranges, List<TensorKey> io)
    {
        if (options.KeepIoTypes && io.FirstOrDefault(k => Root(k) == root) is { Graph: not null } boundary)
        {
            return $"'{boundary.Name}' is a model input or output and keep_io_types is on";
        }

        foreach (var (graph, node) in _nodes.Where(n => Family(n.Graph, n.Node) == root))
        {
            if (options.BlockOps.Contains(node.OpType) || options.BlockNodeNames.Contains(node.Name))
            {
                return $"its {node.OpType} node '{node.Name}' is in the float16 block list";
            }

            var tensors = node.Input.Where((_, i) => IsEntry(node, i)).Select(i => _scopes.Resolve(graph, i))
                .Concat(ExitOps.Contains(node.OpType) ? node.Output.Where(o => o.Length > 0).Select(o => (TensorKey?)new TensorKey(graph, o)) : []);
            if (tensors.OfType<TensorKey>().Select(k => (Key: k, Max: ranges.GetValueOrDefault(k))).FirstOrDefault(t => t.Max > options.MaxMagnitude) is { Key.Graph: not null } large)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"tensor '{large.Key.Name}' entering or leaving it reaches |x| = {large.Max:G4} > {options.MaxMagnitude:G6} on calibration data");
            }
        }

        return null;
    }

    /// <summary>The family a container op belongs to: its container output's, or for exits and readers its container input's.</summary>
    private TensorKey? Family(GraphProto graph, NodeProto node)
    {
        var container = node.Output.Count > 0 && node.Output[0].Length > 0 && IsContainer(new TensorKey(graph, node.Output[0]))
            ? new TensorKey(graph, node.Output[0])
            : node.Input.Count > 0 ? _scopes.Resolve(graph, node.Input[0]) : null;
        return container is { } key ? Root(key) : null;
    }

    private static bool IsEntry(NodeProto node, int index) => Opsets.IsDefaultDomain(node.Domain) && node.OpType switch
    {
        "SequenceConstruct" => true,
        "SequenceInsert" => index == 1,
        "SplitToSequence" or "Optional" => index == 0,
        _ => false,
    };

    private DataType? ElementType(GraphProto graph, string name) =>
        _scopes.Resolve(graph, name) is { } key ? _familyTypes.GetValueOrDefault(Root(key)) : null;

    private void Mark(TensorKey? key, DataType? elementType)
    {
        if (key is { } k)
        {
            _containers[k] = elementType ?? _containers.GetValueOrDefault(k);
            _linked.Add(k);
        }
    }

    private void Union(TensorKey? a, TensorKey? b)
    {
        if (a is { } x && b is { } y)
        {
            _linked.Add(x);
            _linked.Add(y);
            if (Root(x) is var rootX && Root(y) is var rootY && rootX != rootY)
            {
                _parent[rootX] = rootY;
            }
        }
    }

    private TensorKey Root(TensorKey key)
    {
        while (_parent.TryGetValue(key, out var parent))
        {
            key = parent;
        }

        return key;
    }

    /// <summary>The tensor element type inside a (possibly nested) sequence or optional type.</summary>
    private static DataType? TensorElement(TypeProto? type) => type switch
    {
        null => null,
        { TensorType: { } tensor } => tensor.ElemType == 0 ? null : (DataType)tensor.ElemType,
        { SequenceType: { } sequence } => TensorElement(sequence.ElemType),
        { OptionalType: { } optional } => TensorElement(optional.ElemType),
        _ => null,
    };
}
