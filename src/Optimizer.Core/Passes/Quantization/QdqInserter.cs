using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// The graph surgery of QDQ quantization: QuantizeLinear→DequantizeLinear after a tensor's producer (one pair per
/// tensor, read by all its consumers), DequantizeLinear over stored int8/uint8/int32 initializers, and the rewiring.
/// Changes are collected first and applied at once by <see cref="Apply"/>, which keeps the node list topologically sorted.
/// </summary>
internal sealed class QdqInserter(GraphProto graph, UniqueNames names, ActivationType activationType)
{
    private readonly List<NodeProto> _prefix = [];
    private readonly Dictionary<string, List<NodeProto>> _after = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _replacements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Scale, string ZeroPoint)> _parameters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _produced = graph.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);

    private DataType QuantizedType => activationType == ActivationType.UInt8 ? DataType.Uint8 : DataType.Int8;

    /// <summary>
    /// A runtime tensor quantized with <paramref name="parameters"/>; tensors sharing a <paramref name="parameterKey"/>
    /// share the scale and zero-point initializers, which is what lets ORT drop QDQ around passthrough ops.
    /// </summary>
    public void AddActivation(string tensor, string parameterKey, QuantParams parameters)
    {
        var (scale, zeroPoint) = ParameterTensors(parameterKey, parameters);
        var quantized = names.Take($"{tensor}_quantized");
        var dequantized = names.Take($"{tensor}_dequantized");
        var pair = new List<NodeProto>
        {
            Nodes.Create("QuantizeLinear", names.Take($"{tensor}_QuantizeLinear"), [tensor, scale, zeroPoint], [quantized]),
            Nodes.Create("DequantizeLinear", names.Take($"{tensor}_DequantizeLinear"), [quantized, scale, zeroPoint], [dequantized]),
        };
        if (_produced.Contains(tensor))
        {
            (_after.TryGetValue(tensor, out var list) ? list : _after[tensor] = []).AddRange(pair);
        }
        else
        {
            _prefix.AddRange(pair);
        }

        _replacements[tensor] = dequantized;
    }

    /// <summary>A float initializer used as data (e.g. an Add's constant), stored quantized with one DequantizeLinear.</summary>
    public void AddConstant(TensorProto initializer, QuantParams parameters)
    {
        var (min, max) = QuantizationParameters.Limits(activationType);
        var values = TensorValues.ReadFloats(initializer);
        var quantizedName = names.Take($"{initializer.Name}_quantized");
        TensorProto quantized = activationType == ActivationType.UInt8
            ? TensorValues.Create<byte>(quantizedName, DataType.Uint8, initializer.Dims,
                values.Select(v => (byte)QuantizationParameters.Quantize(v, parameters.Scale, parameters.ZeroPoint, min, max)).ToArray())
            : TensorValues.Create<sbyte>(quantizedName, DataType.Int8, initializer.Dims,
                values.Select(v => (sbyte)QuantizationParameters.Quantize(v, parameters.Scale, parameters.ZeroPoint, min, max)).ToArray());
        graph.Initializer.Add(quantized);
        var (scale, zeroPoint) = ParameterTensors(initializer.Name, parameters);
        var dequantized = names.Take($"{initializer.Name}_dequantized");
        _prefix.Add(Nodes.Create("DequantizeLinear", names.Take($"{initializer.Name}_DequantizeLinear"), [quantizedName, scale, zeroPoint], [dequantized]));
        _replacements[initializer.Name] = dequantized;
    }

    /// <summary>Replaces a node's float weight (and bias) input with int8 (int32) initializers behind DequantizeLinear.</summary>
    public void AddWeight(WeightSlot slot, TensorProto weight, QuantizedWeight quantized)
    {
        var node = slot.Node;
        var channelDims = slot.Axis >= 0 ? new long[] { quantized.Scales.Length } : [];
        var values = TensorValues.Create<sbyte>(names.Take($"{weight.Name}_quantized"), DataType.Int8, weight.Dims, quantized.Values);
        var scale = TensorValues.FromFloats(names.Take($"{weight.Name}_scale"), channelDims, quantized.Scales);
        var zeroPoint = TensorValues.Create<sbyte>(names.Take($"{weight.Name}_zero_point"), DataType.Int8, channelDims, new sbyte[quantized.Scales.Length]);
        graph.Initializer.Add(values);
        graph.Initializer.Add(scale);
        graph.Initializer.Add(zeroPoint);
        node.Input[slot.Input] = Dequantize(weight.Name, [values.Name, scale.Name, zeroPoint.Name], slot.Axis);

        if (slot.BiasInput >= 0 && quantized.Bias is { } bias && quantized.BiasScales is { } biasScales)
        {
            var biasName = node.Input[slot.BiasInput];
            var biasValues = TensorValues.Create<int>(names.Take($"{biasName}_quantized"), DataType.Int32, [bias.Length], bias);
            var biasScale = TensorValues.FromFloats(names.Take($"{biasName}_scale"), channelDims, biasScales);
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
        foreach (var node in graph.Node.Where(n => !raw.Contains(n)))
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
        foreach (var node in graph.Node)
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
        graph.Node.AddRange(WithoutUnreadPairs(ordered, raw.Count > 0));
    }

    /// <summary>
    /// Drops QuantizeLinear→DequantizeLinear pairs nothing reads, which happens when every reader of a tensor is a
    /// float reader (a fallback node): a dangling pair would only cost run time.
    /// </summary>
    private IEnumerable<NodeProto> WithoutUnreadPairs(List<NodeProto> nodes, bool mayHaveUnread)
    {
        if (!mayHaveUnread)
        {
            return nodes;
        }

        var inserted = _prefix.Concat(_after.Values.SelectMany(v => v)).ToHashSet();
        var read = nodes.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var unread = nodes.Where(n => inserted.Contains(n) && n.OpType == "DequantizeLinear" && !read.Contains(n.Output[0])).ToHashSet();
        var unreadInputs = unread.Select(n => n.Input[0]).ToHashSet(StringComparer.Ordinal);
        var stillRead = nodes.Where(n => !unread.Contains(n)).SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        return nodes.Where(n => !unread.Contains(n)
            && !(n.OpType == "QuantizeLinear" && unreadInputs.Contains(n.Output[0]) && !stillRead.Contains(n.Output[0])));
    }

    private string Dequantize(string original, string[] inputs, int axis)
    {
        var output = names.Take($"{original}_dequantized");
        var node = Nodes.Create("DequantizeLinear", names.Take($"{original}_DequantizeLinear"), inputs, [output]);
        if (axis >= 0)
        {
            node.Attribute.Add(Attributes.Int("axis", axis));
        }

        _prefix.Add(node);
        return output;
    }

    private (string Scale, string ZeroPoint) ParameterTensors(string key, QuantParams parameters)
    {
        if (_parameters.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var scale = TensorValues.FromFloats(names.Take($"{key}_scale"), [], [parameters.Scale]);
        var zeroPoint = activationType == ActivationType.UInt8
            ? TensorValues.Create<byte>(names.Take($"{key}_zero_point"), QuantizedType, [], [(byte)parameters.ZeroPoint])
            : TensorValues.Create<sbyte>(names.Take($"{key}_zero_point"), QuantizedType, [], [(sbyte)parameters.ZeroPoint]);
        graph.Initializer.Add(scale);
        graph.Initializer.Add(zeroPoint);
        return _parameters[key] = (scale.Name, zeroPoint.Name);
    }
}
