using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>A weight input of a quantized node: per-channel along <paramref name="Axis"/> (-1: per tensor), with its optional bias input.</summary>
internal sealed record WeightSlot(NodeProto Node, int Input, int Axis, int BiasInput, string ActivationInput);

/// <summary>
/// Decides what the pass will change in the main graph before anything is changed: which nodes are quantized, which
/// tensors get a QDQ pair (activations measured by calibration, constants from their own values), which weights
/// become int8, and which passthrough outputs share their input's parameters.
/// </summary>
internal sealed class QuantizationPlan
{
    private readonly GraphProto _graph;
    private readonly QuantizationOptions _options;
    private readonly NodeNameMatcher _excludedNames;
    private readonly TensorElementTypes _types;
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly HashSet<string> _graphOutputs;
    private readonly ILookup<string, NodeProto> _consumers;
    private readonly IReadOnlySet<string> _fallback;
    private readonly HashSet<string> _readInSubgraphs;

    private QuantizationPlan(ModelProto model, QuantizationOptions options, IReadOnlySet<string> fallback)
    {
        _fallback = fallback;
        var graph = model.Graph;
        _graph = graph;
        _options = options;
        _excludedNames = new NodeNameMatcher(options.ExcludeNodeNames);
        _types = TensorElementTypes.Infer(new GraphScopes(model));
        _initializers = graph.Initializer.GroupBy(i => i.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        _consumers = graph.Node.SelectMany(n => n.Input.Distinct().Select(i => (Tensor: i, Node: n))).ToLookup(p => p.Tensor, p => p.Node, StringComparer.Ordinal);
        _readInSubgraphs = ModelWalker.AllGraphs(model).Skip(1).SelectMany(g => g.Node).SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Quantized nodes, in graph order.</summary>
    public List<NodeProto> Nodes { get; } = [];

    /// <summary>Nodes of quantizable op types left in float, with the reason.</summary>
    public List<(NodeProto Node, string Reason)> LeftInFloat { get; } = [];

    /// <summary>Runtime tensors (graph inputs, node outputs) that get QuantizeLinear→DequantizeLinear; their ranges come from calibration.</summary>
    public List<string> Activations { get; } = [];

    /// <summary>Float initializers feeding quantized nodes as data (not weights): stored quantized with a DequantizeLinear.</summary>
    public List<string> Constants { get; } = [];

    /// <summary>Passthrough outputs that reuse the parameters of another tensor (value: the tensor whose parameters they share).</summary>
    public Dictionary<string, string> SharedWith { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Outputs of a Mul or Div by a positive scalar constant (value: the scaled tensor and the factor). Their node is
    /// dropped: the scaled tensor's quantized values, dequantized with its scale times the factor, are exactly the
    /// product, which saves ORT a QLinearMul (HardSigmoid's slope, HardSwish's division by 6).
    /// </summary>
    public Dictionary<string, (string Source, float Factor)> ScaledAliases { get; } = new(StringComparer.Ordinal);

    /// <summary>Weights that become int8.</summary>
    public List<WeightSlot> Weights { get; } = [];

    /// <summary>
    /// Nodes the accuracy fallback returned to float. Unlike nodes excluded by configuration, they read their inputs
    /// unquantized: the input's quantization error is usually what made them harmful.
    /// </summary>
    public List<NodeProto> Fallback { get; } = [];

    /// <summary>The float initializer of <paramref name="name"/>, or null.</summary>
    public TensorProto? Initializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>
    /// Plans the quantization of <paramref name="model"/>'s main graph (subgraphs are never touched); nodes named in
    /// <paramref name="fallback"/> stay float and read float inputs.
    /// </summary>
    public static QuantizationPlan Build(ModelProto model, QuantizationOptions options, IReadOnlySet<string>? fallback = null)
    {
        var plan = new QuantizationPlan(model, options, fallback ?? new HashSet<string>());
        plan.PlanNodes();
        plan.PlanSharedParameters();
        return plan;
    }

    private void PlanNodes()
    {
        var activations = new HashSet<string>(StringComparer.Ordinal);
        var constants = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in _graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain)
            && (QuantizableOps.Compute.Contains(n.OpType) || QuantizableOps.ScalarScaling.Contains(n.OpType))))
        {
            if (ScaledAlias(node, activations) is { } alias)
            {
                ScaledAliases[node.Output[0]] = alias;
                continue;
            }

            if (!QuantizableOps.Compute.Contains(node.OpType) || node.Output.Count != 1 || !IsFloat(node.Output[0]))
            {
                // Integer shape arithmetic (Add/Mul/Concat of int64) is not a candidate at all, so it is not reported.
                continue;
            }

            if (IsExcluded(node))
            {
                LeftInFloat.Add((node, "excluded by configuration"));
                continue;
            }

            if (_fallback.Contains(node.Name))
            {
                LeftInFloat.Add((node, "returned to float by the accuracy fallback"));
                Fallback.Add(node);
                continue;
            }

            if (Classify(node) is not { } slots)
            {
                LeftInFloat.Add((node, "inputs or weights of a kind the pass does not quantize"));
                continue;
            }

            Nodes.Add(node);
            foreach (var input in slots.DataInputs.Where(i => !ScaledAliases.ContainsKey(i)))
            {
                if (_initializers.ContainsKey(input) ? constants.Add(input) : activations.Add(input))
                {
                    (_initializers.ContainsKey(input) ? Constants : Activations).Add(input);
                }
            }

            if (slots.Weight is { } weight)
            {
                Weights.Add(weight);
            }

            if (OutputToQuantize(node) is { } output && activations.Add(output))
            {
                Activations.Add(output);
            }
        }
    }

    /// <summary>
    /// The scaled tensor and factor when <paramref name="node"/> multiplies a tensor that is already <paramref name="quantized"/>
    /// (by its producer or an earlier reader; a float region stays float) by a positive rank-0 constant, or divides it by
    /// one, and its output may vanish: read by no fallback node (those read float tensors as produced), no subgraph and
    /// no graph output. The factor is kept within [1e-6, 1e6] so the scaled scale stays a normal float.
    /// </summary>
    private (string Source, float Factor)? ScaledAlias(NodeProto node, IReadOnlySet<string> quantized)
    {
        if (!QuantizableOps.ScalarScaling.Contains(node.OpType) || node.Input.Count != 2 || node.Output.Count != 1
            || !IsFloat(node.Output[0]) || _graphOutputs.Contains(node.Output[0]) || _readInSubgraphs.Contains(node.Output[0])
            || IsExcluded(node) || _fallback.Contains(node.Name) || _consumers[node.Output[0]].Any(c => _fallback.Contains(c.Name)))
        {
            return null;
        }

        var constantIndex = node.OpType == "Div" ? 1 : Array.FindIndex([node.Input[0], node.Input[1]], i => ScalarConstant(i) is not null);
        if (constantIndex < 0 || ScalarConstant(node.Input[constantIndex]) is not { } constant || !quantized.Contains(node.Input[1 - constantIndex]))
        {
            return null;
        }

        var factor = node.OpType == "Div" ? 1f / constant : constant;
        return factor is >= 1e-6f and <= 1e6f ? (node.Input[1 - constantIndex], factor) : null;
    }

    /// <summary>The value of a rank-0 float initializer, or null.</summary>
    private float? ScalarConstant(string name) =>
        _initializers.TryGetValue(name, out var tensor) && (DataType)tensor.DataType == DataType.Float && tensor.Dims.Count == 0
            ? TensorValues.ReadFloats(tensor) is [var value] ? value : null
            : null;

    /// <summary>Where a node's output QDQ goes: after a Relu/Clip that ORT folds into the kernel, and never on a graph output.</summary>
    private string? OutputToQuantize(NodeProto node)
    {
        var output = node.Output[0];
        if (_graphOutputs.Contains(output))
        {
            return null;
        }

        var consumers = _consumers[output].ToList();
        if (consumers.Count == 1 && consumers[0] is var next && Opsets.IsDefaultDomain(next.Domain)
            && QuantizableOps.FusedActivations.Contains(next.OpType) && next.Input[0] == output && !IsExcluded(next))
        {
            // A QDQ pair between Conv and Relu would stop ORT from fusing them; quantize the activation's output instead.
            return _graphOutputs.Contains(next.Output[0]) || !IsFloat(next.Output[0]) ? null : next.Output[0];
        }

        return output;
    }

    private void PlanSharedParameters()
    {
        var quantized = Activations.Concat(Constants).ToHashSet(StringComparer.Ordinal);
        foreach (var node in _graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain) && QuantizableOps.PassThrough.Contains(n.OpType)))
        {
            if (node.Input.Count == 0 || !quantized.Contains(node.Input[0]) || IsExcluded(node))
            {
                continue;
            }

            // Split has several outputs; each one that is quantized shares the input's parameters.
            foreach (var output in node.Output.Where(o => quantized.Contains(o) && !Constants.Contains(o)))
            {
                // Nodes are topologically ordered, so the input's own sharing is already resolved.
                SharedWith[output] = SharedWith.GetValueOrDefault(node.Input[0], node.Input[0]);
            }
        }
    }

    private (List<string> DataInputs, WeightSlot? Weight)? Classify(NodeProto node)
    {
        if (node.Output.Count != 1 || !IsFloat(node.Output[0]) || node.Input.Any(i => i.Length == 0 && node.OpType != "Gemm"))
        {
            return null;
        }

        switch (node.OpType)
        {
            case "Conv":
                return IsActivation(node, 0) && WeightOf(node, 1, axis: 0, minRank: 3, biasInput: 2) is { } convWeight
                    ? ([node.Input[0]], convWeight) : null;
            case "ConvTranspose":
                // ConvTranspose weights are [C_in, C_out/group, k...]: output channels run along axis 1.
                return IsActivation(node, 0) && WeightOf(node, 1, axis: 1, minRank: 3, biasInput: 2) is { } transposedWeight
                    ? ([node.Input[0]], transposedWeight) : null;
            case "Gemm":
                if (!IsActivation(node, 0) || node.Input.Count < 2)
                {
                    return null;
                }

                var transB = Attributes.GetInt(node, "transB", 0) != 0;
                var plainBias = Attributes.GetFloat(node, "alpha", 1f) == 1f && Attributes.GetFloat(node, "beta", 1f) == 1f;
                var gemmWeight = WeightOf(node, 1, axis: transB ? 0 : 1, minRank: 2, biasInput: plainBias ? 2 : -1);
                return gemmWeight is not null ? ([node.Input[0]], gemmWeight)
                    : IsFloat(node.Input[1]) && !_initializers.ContainsKey(node.Input[1]) ? ([node.Input[0], node.Input[1]], null) : null;
            case "MatMul":
                if (!IsFloat(node.Input[0]) || !IsFloat(node.Input[1]))
                {
                    return null;
                }

                var rank = _initializers.TryGetValue(node.Input[1], out var b) ? b.Dims.Count : 0;
                var matMulWeight = rank >= 1 ? WeightOf(node, 1, axis: rank >= 2 ? rank - 1 : -1, minRank: 1, biasInput: -1) : null;
                return matMulWeight is not null ? ([node.Input[0]], matMulWeight) : ([node.Input[0], node.Input[1]], null);
            default:
                // Elementwise, Concat and pooling: every input is data.
                return node.Input.All(IsFloat) ? (node.Input.ToList(), null) : null;
        }
    }

    /// <summary>The weight slot when input <paramref name="index"/> is a float initializer of at least <paramref name="minRank"/> dims.</summary>
    private WeightSlot? WeightOf(NodeProto node, int index, int axis, int minRank, int biasInput)
    {
        if (index >= node.Input.Count || !_initializers.TryGetValue(node.Input[index], out var weight)
            || (DataType)weight.DataType != DataType.Float || weight.Dims.Count < minRank || TensorValues.ElementCount(weight.Dims) <= 0)
        {
            return null;
        }

        var channelAxis = _options.PerChannel ? axis : -1;
        var channels = axis >= 0 ? weight.Dims[axis] : 1;
        var hasBias = biasInput >= 0 && biasInput < node.Input.Count && node.Input[biasInput].Length > 0
            && _initializers.TryGetValue(node.Input[biasInput], out var bias) && (DataType)bias.DataType == DataType.Float
            && bias.Dims.Count == 1 && bias.Dims[0] == channels;
        return new WeightSlot(node, index, channelAxis, hasBias ? biasInput : -1, node.Input[0]);
    }

    private bool IsActivation(NodeProto node, int index) =>
        index < node.Input.Count && IsFloat(node.Input[index]) && !_initializers.ContainsKey(node.Input[index]);

    private bool IsFloat(string tensor) => _types.Get(_graph, tensor) == DataType.Float;

    private bool IsExcluded(NodeProto node) => _options.ExcludeOpTypes.Contains(node.OpType) || _excludedNames.IsMatch(node.Name);
}
