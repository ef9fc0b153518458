using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Dynamic quantization: MatMul and Gemm (and LSTM, see <see cref="DynamicLstmQuantizer"/>) weights become int8 offline
/// (per output column, symmetric), and each input is quantized to uint8 at run time from its own min/max, so no
/// calibration ranges are needed. MatMuls are written in the form ONNX Runtime's own dynamic quantizer writes and its
/// optimizer fuses into <c>DynamicQuantizeMatMul</c>: DynamicQuantizeLinear → MatMulInteger → Cast → Mul by (input
/// scale × weight scale) (or, for an input several MatMuls share, one DynamicQuantizeLinear feeding
/// <c>MatMulIntegerToFloat</c> kernels). A Gemm becomes <c>com.microsoft.DynamicQuantizeMatMul</c> directly, its
/// weight transposed offline when transB = 1, alpha folded into the weight and beta · C passed as the kernel's bias.
/// Suits MatMul-heavy models (transformers, MLP heads) whose activation ranges vary too much between inputs for fixed scales.
/// </summary>
internal static class DynamicQuantizer
{
    /// <summary>
    /// Rewrites every eligible MatMul, Gemm and LSTM of <paramref name="model"/> in place; returns the report note. Gemms
    /// that must stay float are named in a warning to <paramref name="sink"/>.
    /// </summary>
    public static string Apply(ModelProto model, QuantizationOptions options, IDiagnosticSink sink)
    {
        var matMuls = MatMulWeights.Find(model, options, sink);
        var graph = model.Graph;
        var names = new UniqueNames(model);
        var weightMax = options.ReduceRange ? QuantizationParameters.ReducedWeightMax : QuantizationParameters.WeightMax;
        var quantizedWeights = new Dictionary<string, (string Values, string Scale)>(StringComparer.Ordinal);
        var rewritten = new Dictionary<NodeProto, List<NodeProto>>();
        var quantizedInputs = new Dictionary<string, (string Values, string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        foreach (var matMul in matMuls)
        {
            var (node, weight) = (matMul.Node, matMul.Weight);
            if (!quantizedWeights.TryGetValue(matMul.Key, out var stored))
            {
                // Tied weights (one initializer read the same way by several nodes) are stored once.
                long[] dims = [matMul.K, matMul.N];
                var quantized = WeightQuantizer.Quantize(matMul.Values(), dims, options.PerChannel ? 1 : -1, null, 1f, weightMax);
                var values = TensorValues.Create<sbyte>(names.Take($"{weight.Name}_quantized"), DataType.Int8, dims, quantized.Values);
                var scales = TensorValues.FromFloats(names.Take($"{weight.Name}_scale"), options.PerChannel ? [quantized.Scales.Length] : [], quantized.Scales);
                graph.Initializer.Add(values);
                graph.Initializer.Add(scales);
                quantizedWeights[matMul.Key] = stored = (values.Name, scales.Name);
            }

            var input = node.Input[0];
            var prefix = node.Name.Length > 0 ? node.Name : node.Output[0];
            var replacement = rewritten[node] = [];
            if (node.OpType == "Gemm")
            {
                replacement.Add(GemmKernel(graph, names, matMul, stored, prefix));
                continue;
            }

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
        // The replaced nodes' weights (and Gemm biases) go unless another node still reads them.
        InitializerCleanup.RemoveUnused(model, graph, matMuls.SelectMany(m => m.Node.Input.Skip(1)).Distinct());
        if (matMuls.Any(m => m.Node.OpType == "Gemm"))
        {
            ContribOps.Import(model);
        }

        var lstms = DynamicLstmQuantizer.Apply(model, options);
        var gemms = matMuls.Count(m => m.Node.OpType == "Gemm");
        return matMuls.Count + lstms == 0
            ? "dynamic quantization found no MatMul or Gemm with a 2-D float weight and no LSTM; the model is unchanged"
            : $"dynamic quantization: {matMuls.Count - gemms} MatMul(s), {gemms} Gemm(s) ({quantizedWeights.Count} weight tensor(s)) and {lstms} LSTM(s) with int8 weights, activations quantized at run time";
    }

    /// <summary>
    /// The Gemm as one <c>com.microsoft.DynamicQuantizeMatMul</c> (A, B int8 [K, N], b_scale, no zero point: the weights
    /// are symmetric, bias); it quantizes A itself, so no DynamicQuantizeLinear is shared with other nodes.
    /// </summary>
    private static NodeProto GemmKernel(GraphProto graph, UniqueNames names, MatMulWeight gemm, (string Values, string Scale) weight, string prefix)
    {
        List<string> inputs = [gemm.Node.Input[0], weight.Values, weight.Scale];
        if (gemm.Bias is { } bias)
        {
            var tensor = TensorValues.FromFloats(names.Take($"{prefix}_bias"), [bias.Length], bias);
            graph.Initializer.Add(tensor);
            inputs.AddRange(["", tensor.Name]);
        }

        return ContribOps.Create("DynamicQuantizeMatMul", names.Take($"{prefix}_DynamicQuantizeMatMul"), inputs, [gemm.Node.Output[0]]);
    }
}
