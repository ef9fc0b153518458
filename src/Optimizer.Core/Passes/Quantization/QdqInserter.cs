using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// The graph surgery of QDQ quantization: QuantizeLinear→DequantizeLinear after a tensor's producer (one pair per
/// tensor, read by all its consumers), DequantizeLinear over stored int8/uint8/int32 initializers, and the rewiring.
/// Changes are collected first and applied at once by <see cref="Apply"/>, which keeps the node list topologically sorted.
/// Generated tensors are named after the original plus a short suffix (<c>_q</c>, <c>_dq</c>, <c>_s</c>, <c>_zp</c>) and
/// the nodes just <c>Qn</c>/<c>DQn</c> (their tensors say what they quantize): every name is stored once per
/// reference, and with a few QDQ nodes per layer, long names were a tenth of a small model's INT8 file.
/// </summary>
internal sealed class QdqInserter(GraphProto graph, UniqueNames names, ActivationType activationType)
{
    private readonly List<NodeProto> _prefix = [];
    private readonly Dictionary<string, List<NodeProto>> _after = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _replacements = new(StringComparer.Ordinal);
    private readonly Dictionary<QuantParams, (string Scale, string ZeroPoint)> _parameters = [];
    private readonly Dictionary<string, string> _quantized = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dropped = new(StringComparer.Ordinal);
    private readonly HashSet<string> _produced = graph.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);

    private int _nodes;

    private DataType QuantizedType => activationType == ActivationType.UInt8 ? DataType.Uint8 : DataType.Int8;

    /// <summary>
    /// A runtime tensor quantized with <paramref name="parameters"/>. Tensors with equal parameters (passthrough outputs
    /// and their input, Relu6 outputs calibrated to the same range) share one scale and one zero-point initializer.
    /// </summary>
    public void AddActivation(string tensor, QuantParams parameters)
    {
        var (scale, zeroPoint) = ParameterTensors(tensor, parameters);
        var quantized = _quantized[tensor] = names.Take($"{tensor}_q");
        var dequantized = names.Take($"{tensor}_dq");
        NodesAfter(tensor).AddRange(
        [
            Nodes.Create("QuantizeLinear", NodeName("Q"), [tensor, scale, zeroPoint], [quantized]),
            Nodes.Create("DequantizeLinear", NodeName("DQ"), [quantized, scale, zeroPoint], [dequantized]),
        ]);
        _replacements[tensor] = dequantized;
    }

    /// <summary>
    /// Replaces the node producing <paramref name="alias"/> (a scaling by a positive constant of <paramref name="source"/>,
    /// added before with <see cref="AddActivation"/>) by a DequantizeLinear of the source's quantized values with
    /// <paramref name="parameters"/>, its scale times the factor: the same values without a node of their own.
    /// </summary>
    public void AddScaledAlias(string alias, string source, QuantParams parameters)
    {
        var (scale, zeroPoint) = ParameterTensors(alias, parameters);
        var dequantized = names.Take($"{alias}_dq");
        NodesAfter(source).Add(Nodes.Create("DequantizeLinear", NodeName("DQ"), [_quantized[source], scale, zeroPoint], [dequantized]));
        _replacements[alias] = dequantized;
        _dropped.Add(alias);
    }

    /// <summary>A float initializer used as data (e.g. an Add's constant), stored quantized with one DequantizeLinear.</summary>
    public void AddConstant(TensorProto initializer, QuantParams parameters)
    {
        var (min, max) = QuantizationParameters.Limits(activationType);
        var values = TensorValues.ReadFloats(initializer);
        var quantizedName = names.Take($"{initializer.Name}_q");
        TensorProto quantized = activationType == ActivationType.UInt8
            ? TensorValues.Create<byte>(quantizedName, DataType.Uint8, initializer.Dims,
                values.Select(v => (byte)QuantizationParameters.Quantize(v, parameters.Scale, parameters.ZeroPoint, min, max)).ToArray())
            : TensorValues.Create<sbyte>(quantizedName, DataType.Int8, initializer.Dims,
                values.Select(v => (sbyte)QuantizationParameters.Quantize(v, parameters.Scale, parameters.ZeroPoint, min, max)).ToArray());
        graph.Initializer.Add(quantized);
        var (scale, zeroPoint) = ParameterTensors(initializer.Name, parameters);
        var dequantized = names.Take($"{initializer.Name}_dq");
        _prefix.Add(Nodes.Create("DequantizeLinear", NodeName("DQ"), [quantizedName, scale, zeroPoint], [dequantized]));
        _replacements[initializer.Name] = dequantized;
    }

    /// <summary>
    /// Replaces a node's float weight (and bias) input with int8 (int32) initializers behind DequantizeLinear. The weight's
    /// all-zero zero-point tensor is left out where ORT fuses without it (<see cref="QuantizableOps.WeightZeroPointOptional"/>):
    /// a Conv with 9 weights per channel (depthwise) would otherwise store a tenth of them again as zeros.
    /// </summary>
    public void AddWeight(WeightSlot slot, TensorProto weight, QuantizedWeight quantized)
    {
        var node = slot.Node;
        var channelDims = slot.Axis >= 0 ? new long[] { quantized.Scales.Length } : [];
        var values = TensorValues.Create<sbyte>(names.Take($"{weight.Name}_q"), DataType.Int8, weight.Dims, quantized.Values);
        var scale = TensorValues.FromFloats(names.Take($"{weight.Name}_s"), channelDims, quantized.Scales);
        graph.Initializer.Add(values);
        graph.Initializer.Add(scale);
        List<string> inputs = [values.Name, scale.Name];
        if (!QuantizableOps.WeightZeroPointOptional.Contains(node.OpType))
        {
            var zeroPoint = TensorValues.Create<sbyte>(names.Take($"{weight.Name}_zp"), DataType.Int8, channelDims, new sbyte[quantized.Scales.Length]);
            graph.Initializer.Add(zeroPoint);
            inputs.Add(zeroPoint.Name);
        }

        node.Input[slot.Input] = Dequantize(weight.Name, inputs, slot.Axis);

        if (slot.BiasInput >= 0 && quantized.Bias is { } bias && quantized.BiasScales is { } biasScales)
        {
            var biasName = node.Input[slot.BiasInput];
            var biasValues = TensorValues.Create<int>(names.Take($"{biasName}_q"), DataType.Int32, [bias.Length], bias);
            var biasScale = TensorValues.FromFloats(names.Take($"{biasName}_s"), channelDims, biasScales);
            graph.Initializer.Add(biasValues);
            graph.Initializer.Add(biasScale);
            // No zero point: int32 bias is symmetric, and the input's absence means 0.
            node.Input[slot.BiasInput] = Dequantize(biasName, [biasValues.Name, biasScale.Name], slot.Axis >= 0 ? 0 : -1);
        }
    }

    /// <summary>
    /// Rewires every consumer except <paramref name="floatReaders"/> to the dequantized tensors and inserts the new nodes
    /// in topological order.
    /// </summary>
    public void Apply(IReadOnlyCollection<NodeProto> floatReaders)
    {
        var raw = floatReaders.ToHashSet();
        var kept = graph.Node.Where(n => !n.Output.Any(_dropped.Contains)).ToList();
        foreach (var node in kept.Where(n => !raw.Contains(n)))
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (_replacements.TryGetValue(node.Input[i], out var replacement))
                {
                    node.Input[i] = replacement;
                }
            }
        }

        var ordered = new List<NodeProto>(_prefix);
        foreach (var node in kept)
        {
            ordered.Add(node);
            foreach (var output in node.Output)
            {
                if (_after.TryGetValue(output, out var inserted))
                {
                    ordered.AddRange(inserted);
                }
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(WithoutUnreadPairs(ordered));
    }

    /// <summary>
    /// Drops inserted DequantizeLinear nodes nothing reads, and their QuantizeLinear when nothing else reads it: when
    /// every reader of a tensor is a float reader (a fallback node), or its only reader was a dropped scaling whose
    /// alias dequantizes the quantized values itself. ORT keeps dangling nodes and even transposes layouts for them.
    /// </summary>
    private IEnumerable<NodeProto> WithoutUnreadPairs(List<NodeProto> nodes)
    {
        var inserted = _prefix.Concat(_after.Values.SelectMany(v => v)).ToHashSet();
        var read = nodes.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var unread = nodes.Where(n => inserted.Contains(n) && n.OpType == "DequantizeLinear" && !read.Contains(n.Output[0])).ToHashSet();
        var unreadInputs = unread.Select(n => n.Input[0]).ToHashSet(StringComparer.Ordinal);
        var stillRead = nodes.Where(n => !unread.Contains(n)).SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        return nodes.Where(n => !unread.Contains(n)
            && !(n.OpType == "QuantizeLinear" && unreadInputs.Contains(n.Output[0]) && !stillRead.Contains(n.Output[0])));
    }

    /// <summary>A short unique node name; a counter rather than <see cref="UniqueNames"/>' suffix search keeps it linear.</summary>
    private string NodeName(string op) => names.Take($"{op}{_nodes++}");

    /// <summary>Where nodes that read <paramref name="tensor"/> go: right after its producer, or first for graph inputs.</summary>
    private List<NodeProto> NodesAfter(string tensor) =>
        !_produced.Contains(tensor) ? _prefix : _after.TryGetValue(tensor, out var list) ? list : _after[tensor] = [];

    private string Dequantize(string original, IEnumerable<string> inputs, int axis)
    {
        var output = names.Take($"{original}_dq");
        var node = Nodes.Create("DequantizeLinear", NodeName("DQ"), inputs, [output]);
        if (axis >= 0)
        {
            node.Attribute.Add(Attributes.Int("axis", axis));
        }

        _prefix.Add(node);
        return output;
    }

    /// <summary>The scalar scale and zero-point initializers of <paramref name="parameters"/>, named after the first tensor that needs them.</summary>
    private (string Scale, string ZeroPoint) ParameterTensors(string tensor, QuantParams parameters)
    {
        if (_parameters.TryGetValue(parameters, out var existing))
        {
            return existing;
        }

        var scale = TensorValues.FromFloats(names.Take($"{tensor}_s"), [], [parameters.Scale]);
        var zeroPoint = activationType == ActivationType.UInt8
            ? TensorValues.Create<byte>(names.Take($"{tensor}_zp"), QuantizedType, [], [(byte)parameters.ZeroPoint])
            : TensorValues.Create<sbyte>(names.Take($"{tensor}_zp"), QuantizedType, [], [(sbyte)parameters.ZeroPoint]);
        graph.Initializer.Add(scale);
        graph.Initializer.Add(zeroPoint);
        return _parameters[parameters] = (scale.Name, zeroPoint.Name);
    }
}
