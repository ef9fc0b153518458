using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Dynamic quantization: MatMul (and LSTM, see <see cref="DynamicLstmQuantizer"/>) weights become int8 offline (per
/// output column, symmetric), and each MatMul input is
/// quantized to uint8 at run time from its own min/max, so no calibration ranges are needed. The graph is written in the
/// form ONNX Runtime's own dynamic quantizer writes and its optimizer fuses into <c>DynamicQuantizeMatMul</c>:
/// DynamicQuantizeLinear → MatMulInteger → Cast → Mul by (input scale × weight scale) (or, for an input several MatMuls
/// share, one DynamicQuantizeLinear feeding <c>MatMulIntegerToFloat</c> kernels). Suits MatMul-heavy models
/// (transformers) whose activation ranges vary too much between inputs for fixed scales.
/// </summary>
internal static class DynamicQuantizer
{
    /// <summary>Rewrites every eligible MatMul of <paramref name="model"/> in place; returns the report note.</summary>
    public static string Apply(ModelProto model, QuantizationOptions options)
    {
        var matMuls = MatMulWeights.Find(model, options);
        var graph = model.Graph;
        var names = new UniqueNames(model);
        var weightMax = options.ReduceRange ? QuantizationParameters.ReducedWeightMax : QuantizationParameters.WeightMax;
        var quantizedWeights = new Dictionary<string, (string Values, string Scale)>(StringComparer.Ordinal);
        var rewritten = new Dictionary<NodeProto, List<NodeProto>>();
        var quantizedInputs = new Dictionary<string, (string Values, string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        foreach (var (node, weight) in matMuls.Select(m => (m.Node, m.Weight)))
        {
            if (!quantizedWeights.TryGetValue(weight.Name, out var stored))
            {
                // Tied weights (one initializer read by several MatMuls) are stored once.
                var quantized = WeightQuantizer.Quantize(TensorValues.ReadFloats(weight), weight.Dims, options.PerChannel ? 1 : -1, null, 1f, weightMax);
                var values = TensorValues.Create<sbyte>(names.Take($"{weight.Name}_quantized"), DataType.Int8, weight.Dims, quantized.Values);
                var scales = TensorValues.FromFloats(names.Take($"{weight.Name}_scale"), options.PerChannel ? [quantized.Scales.Length] : [], quantized.Scales);
                graph.Initializer.Add(values);
                graph.Initializer.Add(scales);
                quantizedWeights[weight.Name] = stored = (values.Name, scales.Name);
            }

            var input = node.Input[0];
            var prefix = node.Name.Length > 0 ? node.Name : node.Output[0];
            var replacement = rewritten[node] = [];
            if (!quantizedInputs.TryGetValue(input, out var runtime))
            {
                // One DynamicQuantizeLinear per input tensor, shared by every MatMul reading it (Q, K and V projections):
                // ORT fuses a MatMul with its own into DynamicQuantizeMatMul, and shared ones into MatMulIntegerToFloat.
                runtime = (names.Take($"{input}_quantized"), names.Take($"{input}_scale"), names.Take($"{input}_zero_point"));
                quantizedInputs[input] = runtime;
                replacement.Add(Nodes.Create("DynamicQuantizeLinear", names.Take($"{input}_DynamicQuantizeLinear"), [input], [runtime.Values, runtime.Scale, runtime.ZeroPoint]));
            }

            var (product, asFloat, scale) = (names.Take($"{prefix}_int32"), names.Take($"{prefix}_int32_float"), names.Take($"{prefix}_output_scale"));
            replacement.AddRange(
            [
                Nodes.Create("MatMulInteger", names.Take($"{prefix}_MatMulInteger"), [runtime.Values, stored.Values, runtime.ZeroPoint], [product]),
                Nodes.Create("Cast", names.Take($"{prefix}_Cast"), [product], [asFloat], Attributes.Int("to", (long)DataType.Float)),
                Nodes.Create("Mul", names.Take($"{prefix}_scale_Mul"), [runtime.Scale, stored.Scale], [scale]),
                Nodes.Create("Mul", names.Take($"{prefix}_output_Mul"), [asFloat, scale], [node.Output[0]]),
            ]);
        }

        var ordered = graph.Node.SelectMany(n => rewritten.TryGetValue(n, out var replacement) ? replacement : [n]).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(ordered);
        InitializerCleanup.RemoveUnused(model, graph, quantizedWeights.Keys);
        var lstms = DynamicLstmQuantizer.Apply(model, options);
        return matMuls.Count + lstms == 0
            ? "dynamic quantization found no MatMul with a 2-D float weight and no LSTM; the model is unchanged"
            : $"dynamic quantization: {matMuls.Count} MatMul(s) ({quantizedWeights.Count} weight tensor(s)) and {lstms} LSTM(s) with int8 weights, activations quantized at run time";
    }
}
