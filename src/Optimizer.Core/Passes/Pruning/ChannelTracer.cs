using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Traces output channels of Conv/Gemm/MatMul through the main graph (in topological order) to every node that reads
/// them, and records what removing a channel implies: slices of the producer's weight and bias, of following
/// BatchNormalization and per-channel constants, of depthwise Convs (and their group count), of the next layer's input
/// channels (through Concat offsets and Flatten), and merged groups where a residual Add joins two branches. Channels
/// also pass through activations, pooling, Pad and the axis moves of <see cref="AxisMoves"/> (Transpose, Squeeze,
/// Unsqueeze, Slice, Split, Resize) as long as those leave the channel axis alone.
/// Anything the tracer cannot rewire exactly (a Reshape to a fixed size, a graph output, an unknown op, a shared
/// weight, a subgraph reading the tensor) blocks the groups involved, with a reason, so they are never broken.
/// </summary>
internal sealed class ChannelTracer
{
    private static readonly HashSet<string> PassThroughOps = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign",
        "Gelu", "Mish", "Identity", "Dropout", "Clip", "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Floor",
        "Ceil", "Round", "Sin", "Cos", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
    };

    private static readonly HashSet<string> BinaryOps = new(StringComparer.Ordinal) { "Add", "Sub", "Mul", "Div", "Max", "Min", "PRelu" };

    private readonly GraphProto _graph;
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly Dictionary<string, int> _reads;
    private readonly NodeNameMatcher _excluded;
    private readonly IReadOnlyDictionary<string, long[]>? _shapes;
    private readonly long _opset;
    private readonly List<int> _parent = [];
    private readonly List<int> _channels = [];
    private readonly List<ChannelEdit> _edits = [];
    private readonly List<(NodeProto, ChannelLayout)> _groupAttributes = [];
    private readonly Dictionary<string, ChannelLayout> _layouts = new(StringComparer.Ordinal);
    private readonly Dictionary<int, List<ChannelSource>> _sources = [];
    private readonly Dictionary<int, List<string>> _blocked = [];

    private ChannelTracer(ModelProto model, IReadOnlyList<string> exclude, IReadOnlyDictionary<string, long[]>? shapes)
    {
        _graph = model.Graph;
        _initializers = PrunableLayers.Initializers(model.Graph);
        _reads = PrunableLayers.ReadCounts(model);
        _excluded = new NodeNameMatcher(exclude);
        _shapes = shapes;
        _opset = Opsets.DefaultDomainVersion(model);
    }

    /// <summary>
    /// Traces <paramref name="model"/>'s main graph. <paramref name="shapes"/> (concrete shapes of traced tensors on one
    /// sample) is needed to rewire a Flatten of a feature map; without it the trace is a first, optimistic pass.
    /// </summary>
    public static ChannelAnalysis Trace(ModelProto model, IReadOnlyList<string> exclude, IReadOnlyDictionary<string, long[]>? shapes)
    {
        var tracer = new ChannelTracer(model, exclude, shapes);
        tracer.Run();
        return new ChannelAnalysis(tracer._parent.ToArray(), tracer._channels, tracer._edits, tracer._groupAttributes,
            tracer._layouts, tracer._sources, tracer._blocked);
    }

    private void Run()
    {
        foreach (var node in _graph.Node)
        {
            BlockSubgraphReads(node);
            if (!Opsets.IsDefaultDomain(node.Domain))
            {
                BlockInputs(node, $"it is read by {node.Domain}.{node.OpType} '{node.Name}', which pruning cannot rewire");
                continue;
            }

            switch (node.OpType)
            {
                case "Conv": Conv(node); break;
                case "Gemm": Gemm(node); break;
                case "MatMul": MatMul(node); break;
                case "BatchNormalization": Normalization(node, 4); break;
                case "InstanceNormalization": Normalization(node, 2); break;
                case "Concat": Concat(node); break;
                case "Flatten": Flatten(node); break;
                case "Reshape": Reshape(node); break;
                case "Pad": Pad(node); break;
                case var op when AxisMoves.Ops.Contains(op): MoveAxes(node); break;
                case var op when BinaryOps.Contains(op): Binary(node); break;
                case var op when PassThroughOps.Contains(op): PassThrough(node); break;
                default: BlockInputs(node, $"it is read by {node.OpType} '{node.Name}', which pruning cannot rewire"); break;
            }
        }

        foreach (var output in _graph.Output)
        {
            Block(Layout(output.Name), $"'{output.Name}' is a graph output, whose shape callers rely on");
        }
    }

    private void Conv(NodeProto node)
    {
        var x = Layout(node.Input[0]);
        var weight = node.Input.Count > 1 ? FloatInitializer(node.Input[1]) : null;
        if (weight is null)
        {
            Block(x, $"Conv '{node.Name}' has a computed weight");
            return;
        }

        var group = Attributes.GetInt(node, "group", 1);
        var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        if (group == 1)
        {
            if (x is not null)
            {
                Edit(node, weight.Name, 1, x, ChannelEditRole.Input, x.Axis == 1 && x.IsPlain);
            }

            if (CanProduce(node, weight))
            {
                var layout = NewGroup(node, weight, 0, axis: 1, rank: weight.Dims.Count);
                if (bias is not null)
                {
                    Edit(node, bias, 0, layout, ChannelEditRole.Output, true);
                }

                _layouts[node.Output[0]] = layout;
            }

            return;
        }

        var depthwise = x is not null && x.Axis == 1 && x.IsPlain && x.Length == group && weight.Dims[0] == group && weight.Dims[1] == 1;
        if (!depthwise)
        {
            Block(x, $"it is read by grouped Conv '{node.Name}' (group {group}), whose groups would no longer line up");
            return;
        }

        Edit(node, weight.Name, 0, x!, ChannelEditRole.Parameter, true);
        if (bias is not null)
        {
            Edit(node, bias, 0, x!, ChannelEditRole.Parameter, true);
        }

        _groupAttributes.Add((node, x!));
        _layouts[node.Output[0]] = x!;
    }

    private void Gemm(NodeProto node)
    {
        var a = Layout(node.Input[0]);
        var b = FloatInitializer(node.Input[1]);
        var transB = Attributes.GetInt(node, "transB", 0) != 0;
        if (a is not null)
        {
            // A is [M, K], or [K, M] with transA: the traced features must be its K axis.
            var fits = b is not null && b.Dims.Count == 2 && a.Rank == 2 && a.Axis == (Attributes.GetInt(node, "transA", 0) != 0 ? 0 : 1);
            if (b is null)
            {
                Block(a, $"Gemm '{node.Name}' has a computed weight");
            }
            else
            {
                Edit(node, b.Name, transB ? 1 : 0, a, ChannelEditRole.Input, fits);
            }
        }

        if (b is null || b.Dims.Count != 2 || !CanProduce(node, b))
        {
            return;
        }

        var axis = transB ? 0 : 1;
        var layout = NewGroup(node, b, axis, axis: 1, rank: 2);
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            BroadcastParameter(node, node.Input[2], layout);
        }

        _layouts[node.Output[0]] = layout;
    }

    private void MatMul(NodeProto node)
    {
        var a = Layout(node.Input[0]);
        var b = FloatInitializer(node.Input[1]);
        if (a is not null)
        {
            if (b is null)
            {
                Block(a, $"MatMul '{node.Name}' has a computed weight");
            }
            else
            {
                Edit(node, b.Name, 0, a, ChannelEditRole.Input, b.Dims.Count == 2 && a.Axis == a.Rank - 1);
            }
        }

        var rank = a?.Rank ?? RankOf(node.Input[0]) ?? 2;
        if (b is null || b.Dims.Count != 2 || rank < 2 || !CanProduce(node, b))
        {
            return;
        }

        _layouts[node.Output[0]] = NewGroup(node, b, 1, axis: rank - 1, rank: rank);
    }

    private void Normalization(NodeProto node, int parameters)
    {
        var x = Layout(node.Input[0]);
        if (x is null)
        {
            return;
        }

        for (var i = 1; i <= parameters && i < node.Input.Count; i++)
        {
            Edit(node, node.Input[i], 0, x, ChannelEditRole.Parameter, x.Axis == 1 && x.IsPlain);
        }

        _layouts[node.Output[0]] = x;
    }

    private void Binary(NodeProto node)
    {
        var layouts = node.Input.Select(Layout).ToList();
        if (layouts.All(l => l is null))
        {
            return;
        }

        if (node.Input.Count != 2)
        {
            BlockInputs(node, $"it is read by {node.OpType} '{node.Name}' with {node.Input.Count} inputs");
            return;
        }

        if (layouts[0] is { } left && layouts[1] is { } right)
        {
            var rank = Math.Max(left.Rank, right.Rank);
            if (!Merge(left.Broadcast(rank), right.Broadcast(rank)))
            {
                BlockInputs(node, $"{node.OpType} '{node.Name}' combines tensors whose channel layouts differ");
                return;
            }

            _layouts[node.Output[0]] = left.Broadcast(rank);
            return;
        }

        var traced = layouts[0] is not null ? 0 : 1;
        var layout = layouts[traced]!;
        var other = node.Input[1 - traced];
        if (!_initializers.ContainsKey(other))
        {
            Block(layout, $"{node.OpType} '{node.Name}' combines it with '{other}', whose channels are not traced");
            return;
        }

        _layouts[node.Output[0]] = BroadcastParameter(node, other, layout);
    }

    /// <summary>Slices a constant broadcast against <paramref name="layout"/> when it has one value per channel; returns the output layout.</summary>
    private ChannelLayout BroadcastParameter(NodeProto node, string name, ChannelLayout layout)
    {
        if (!_initializers.TryGetValue(name, out var constant))
        {
            Block(layout, $"{node.OpType} '{node.Name}' reads '{name}', which is computed");
            return layout;
        }

        var rank = Math.Max(layout.Rank, constant.Dims.Count);
        var result = layout.Broadcast(rank);
        var position = result.Axis - (rank - constant.Dims.Count);
        if (position >= 0 && constant.Dims[position] != 1)
        {
            Edit(node, name, position, result, ChannelEditRole.Parameter, constant.Dims[position] == result.Length);
        }

        return result;
    }

    private void Concat(NodeProto node)
    {
        var layouts = node.Input.Select(Layout).ToList();
        var first = layouts.FirstOrDefault(l => l is not null);
        if (first is null)
        {
            return;
        }

        var axis = (int)Attributes.GetInt(node, "axis", 1);
        axis = axis < 0 ? axis + first.Rank : axis;
        var traced = layouts.OfType<ChannelLayout>().ToList();
        if (traced.Count == layouts.Count && traced.All(l => l.Axis == axis && l.Rank == first.Rank))
        {
            _layouts[node.Output[0]] = new ChannelLayout(traced.SelectMany(l => l.Segments).ToList(), axis, first.Rank);
            return;
        }

        if (traced.Count == layouts.Count && first.Axis != axis && traced.All(l => Merge(first, l)))
        {
            _layouts[node.Output[0]] = first;
            return;
        }

        BlockInputs(node, $"Concat '{node.Name}' joins it with tensors whose channels are not traced");
    }

    private void Flatten(NodeProto node)
    {
        var x = Layout(node.Input[0]);
        if (x is null)
        {
            return;
        }

        var axis = Attributes.GetInt(node, "axis", 1);
        if ((axis < 0 ? axis + x.Rank : axis) != 1 || x.Axis != 1)
        {
            Block(x, $"Flatten '{node.Name}' (axis {axis}) mixes its channels with other dimensions");
            return;
        }

        FlattenInto(node, x);
    }

    private void Reshape(NodeProto node)
    {
        var x = Layout(node.Input[0]);
        if (x is null)
        {
            return;
        }

        var target = _initializers.TryGetValue(node.Input[1], out var shape) ? TensorValues.ReadInt64s(shape) : null;
        if (target is null)
        {
            Block(x, $"Reshape '{node.Name}' takes a computed shape");
        }
        else if (x.Axis == 1 && target is [0, -1])
        {
            FlattenInto(node, x);
        }
        else
        {
            Block(x, $"Reshape '{node.Name}' reshapes it to the fixed shape [{string.Join(", ", target)}]");
        }
    }

    /// <summary>A flatten to <c>[N, C*H*W]</c>: every channel spans H*W consecutive features.</summary>
    private void FlattenInto(NodeProto node, ChannelLayout x)
    {
        var inner = 1L;
        if (x.Rank > 2)
        {
            var shape = _shapes?.GetValueOrDefault(node.Input[0]);
            if (shape is null && _shapes is not null)
            {
                Block(x, $"{node.OpType} '{node.Name}' flattens a feature map whose size is unknown");
                return;
            }

            inner = shape is null ? 1 : shape.Skip(2).Aggregate(1L, (p, d) => p * d);
        }

        _layouts[node.Output[0]] = new ChannelLayout(x.Segments.Select(s => s with { Inner = s.Inner * inner }).ToList(), 1, 2);
    }

    private void Pad(NodeProto node)
    {
        var x = Layout(node.Input[0]);
        if (x is null)
        {
            return;
        }

        var pads = node.Input.Count > 1 && node.Input[1].Length > 0
            ? _initializers.TryGetValue(node.Input[1], out var tensor) ? TensorValues.ReadInt64s(tensor) : null
            : Attributes.Find(node, "pads")?.Ints.ToArray();
        var axes = node.Input.Count > 3 && node.Input[3].Length > 0;
        if (pads is null || axes || pads.Length != 2 * x.Rank || pads[x.Axis] != 0 || pads[x.Axis + x.Rank] != 0)
        {
            Block(x, $"Pad '{node.Name}' may pad its channels");
            return;
        }

        PassThrough(node);
    }

    /// <summary>Transpose, Squeeze, Unsqueeze, Slice, Split, Resize: every output carries the input's channels, maybe on another axis.</summary>
    private void MoveAxes(NodeProto node)
    {
        var x = Layout(node.Input[0]);
        if (x is null)
        {
            return;
        }

        var moved = AxisMoves.Apply(node, x, _initializers.GetValueOrDefault, _opset, out var reason);
        if (moved is null)
        {
            Block(x, reason!);
            return;
        }

        foreach (var output in node.Output.Where(o => o.Length > 0))
        {
            _layouts[output] = moved;
        }
    }

    private void PassThrough(NodeProto node)
    {
        var x = Layout(node.Input[0]);
        if (x is null)
        {
            return;
        }

        // A second output (MaxPool indices, Dropout mask) encodes positions that pruning would shift.
        if (node.Output.Skip(1).Any(o => o.Length > 0 && _reads.GetValueOrDefault(o) > 0))
        {
            Block(x, $"{node.OpType} '{node.Name}' has a second output that encodes channel positions");
            return;
        }

        _layouts[node.Output[0]] = x;
    }

    private ChannelLayout NewGroup(NodeProto node, TensorProto weight, int weightAxis, int axis, int rank)
    {
        var id = _parent.Count;
        var channels = checked((int)weight.Dims[weightAxis]);
        _parent.Add(id);
        _channels.Add(channels);
        _sources[id] = [new ChannelSource(node, weight.Name, weightAxis)];
        var layout = ChannelLayout.Single(id, channels, axis, rank);
        Edit(node, weight.Name, weightAxis, layout, ChannelEditRole.Output, true);
        return layout;
    }

    /// <summary>Records a slice of <paramref name="tensor"/>, or blocks the layout's groups when it cannot be sliced safely.</summary>
    private void Edit(NodeProto node, string tensor, int axis, ChannelLayout layout, ChannelEditRole role, bool fits)
    {
        if (!fits)
        {
            Block(layout, $"{node.OpType} '{node.Name}' reads it in a layout pruning cannot slice");
        }
        else if (FloatInitializer(tensor) is null || _reads.GetValueOrDefault(tensor) != 1)
        {
            Block(layout, $"{node.OpType} '{node.Name}' reads '{tensor}', which is computed or shared with other nodes");
        }
        else
        {
            _edits.Add(new ChannelEdit(node, tensor, axis, layout, role));
        }
    }

    private bool CanProduce(NodeProto node, TensorProto weight) =>
        _reads.GetValueOrDefault(weight.Name) == 1 && !_excluded.IsMatch(node.Name) && !_excluded.IsMatch(weight.Name)
        && !_graph.Input.Any(i => i.Name == weight.Name);

    /// <summary>Unites the groups of two equally shaped layouts (a residual Add); false when their shapes differ.</summary>
    private bool Merge(ChannelLayout a, ChannelLayout b)
    {
        if (!a.SameShape(b))
        {
            return false;
        }

        foreach (var (left, right) in a.Segments.Zip(b.Segments))
        {
            var root = Root(left.Group);
            var other = Root(right.Group);
            if (root == other)
            {
                continue;
            }

            _parent[other] = root;
            Move(_sources, other, root);
            Move(_blocked, other, root);
        }

        return true;
    }

    private static void Move<T>(Dictionary<int, List<T>> lists, int from, int to)
    {
        if (lists.Remove(from, out var moved))
        {
            if (lists.TryGetValue(to, out var existing))
            {
                existing.AddRange(moved);
            }
            else
            {
                lists[to] = moved;
            }
        }
    }

    private void BlockSubgraphReads(NodeProto node)
    {
        foreach (var name in ModelWalker.Subgraphs(node).SelectMany(ModelWalker.GraphAndSubgraphs).SelectMany(g => g.Node).SelectMany(n => n.Input))
        {
            Block(Layout(name), $"a subgraph of {node.OpType} '{node.Name}' reads '{name}'");
        }
    }

    private void BlockInputs(NodeProto node, string reason)
    {
        foreach (var input in node.Input)
        {
            Block(Layout(input), reason);
        }
    }

    private void Block(ChannelLayout? layout, string reason)
    {
        if (layout is null)
        {
            return;
        }

        foreach (var group in layout.Groups.Select(Root).Distinct())
        {
            var reasons = _blocked.TryGetValue(group, out var list) ? list : _blocked[group] = [];
            if (!reasons.Contains(reason))
            {
                reasons.Add(reason);
            }
        }
    }

    private int Root(int group)
    {
        while (_parent[group] != group)
        {
            group = _parent[group];
        }

        return group;
    }

    private ChannelLayout? Layout(string name) => _layouts.GetValueOrDefault(name);

    private TensorProto? FloatInitializer(string name) =>
        _initializers.TryGetValue(name, out var tensor) && TensorValues.IsFloatingPoint(tensor) ? tensor : null;

    private int? RankOf(string name) =>
        _shapes?.GetValueOrDefault(name)?.Length
        ?? _graph.Input.Concat(_graph.ValueInfo).FirstOrDefault(v => v.Name == name)?.Type?.TensorType?.Shape?.Dim.Count;
}
