using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Dynamic quantization of LSTM layers into ONNX Runtime's <c>com.microsoft.DynamicQuantizeLSTM</c>: the input and
/// recurrence weights become int8 with one scale per gate column and direction (stored transposed, [directions,
/// inputs, 4 x hidden], as the kernel reads them), and each step's input and hidden state are quantized at run time.
/// </summary>
internal static class DynamicLstmQuantizer
{
    /// <summary>The LSTM attributes DynamicQuantizeLSTM accepts; an LSTM with any other (e.g. <c>layout</c> = 1) stays float.</summary>
    private static readonly HashSet<string> SupportedAttributes = new(StringComparer.Ordinal)
    {
        "activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "input_forget",
    };

    /// <summary>Rewrites every eligible LSTM of <paramref name="model"/> in place; returns how many.</summary>
    public static int Apply(ModelProto model, QuantizationOptions options)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.GroupBy(i => i.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var excluded = new NodeNameMatcher(options.ExcludeNodeNames);
        var names = new UniqueNames(model);
        var weightMax = options.ReduceRange ? QuantizationParameters.ReducedWeightMax : QuantizationParameters.WeightMax;
        var replaced = new List<string>();
        var count = 0;
        foreach (var node in graph.Node.Where(n => n.OpType == "LSTM" && Opsets.IsDefaultDomain(n.Domain)).ToList())
        {
            if (options.ExcludeOpTypes.Contains(node.OpType) || excluded.IsMatch(node.Name) || node.Input.Count < 3
                || node.Attribute.Any(a => !SupportedAttributes.Contains(a.Name))
                || Weight(initializers, node.Input[1]) is not { } w || Weight(initializers, node.Input[2]) is not { } r)
            {
                continue;
            }

            var (wValues, wScales) = Quantize(w, weightMax);
            var (rValues, rScales) = Quantize(r, weightMax);
            var directions = w.Dims[0];
            var gates = w.Dims[1];
            var inputs = new List<string>(node.Input.Take(8));
            while (inputs.Count < 8)
            {
                inputs.Add("");
            }

            inputs[1] = Add(graph, TensorValues.Create<sbyte>(names.Take($"{w.Name}_quantized"), DataType.Int8, [directions, w.Dims[2], gates], wValues));
            inputs[2] = Add(graph, TensorValues.Create<sbyte>(names.Take($"{r.Name}_quantized"), DataType.Int8, [directions, r.Dims[2], gates], rValues));
            inputs.Add(Add(graph, TensorValues.FromFloats(names.Take($"{w.Name}_scale"), [directions, gates], wScales)));
            inputs.Add(Add(graph, TensorValues.Create<sbyte>(names.Take($"{w.Name}_zero_point"), DataType.Int8, [directions, gates], new sbyte[wScales.Length])));
            inputs.Add(Add(graph, TensorValues.FromFloats(names.Take($"{r.Name}_scale"), [directions, gates], rScales)));
            inputs.Add(Add(graph, TensorValues.Create<sbyte>(names.Take($"{r.Name}_zero_point"), DataType.Int8, [directions, gates], new sbyte[rScales.Length])));
            replaced.Add(w.Name);
            replaced.Add(r.Name);
            node.OpType = "DynamicQuantizeLSTM";
            node.Domain = ContribOps.Domain;
            node.Input.Clear();
            node.Input.Add(inputs);
            count++;
        }

        if (count > 0)
        {
            ContribOps.Import(model);
        }

        InitializerCleanup.RemoveUnused(model, graph, replaced.Distinct());
        return count;
    }

    private static TensorProto? Weight(Dictionary<string, TensorProto> initializers, string name) =>
        initializers.TryGetValue(name, out var tensor) && tensor is { Dims.Count: 3 } && (DataType)tensor.DataType == DataType.Float ? tensor : null;

    private static string Add(GraphProto graph, TensorProto tensor)
    {
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>
    /// An ONNX LSTM weight [directions, 4 x hidden, inputs] as int8 [directions, inputs, 4 x hidden] with one symmetric
    /// scale per direction and gate column.
    /// </summary>
    private static (sbyte[] Values, float[] Scales) Quantize(TensorProto weight, int weightMax)
    {
        var (directions, gates, inputs) = ((int)weight.Dims[0], (int)weight.Dims[1], (int)weight.Dims[2]);
        var values = TensorValues.ReadFloats(weight);
        var quantized = new sbyte[values.Length];
        var scales = new float[directions * gates];
        for (var d = 0; d < directions; d++)
        {
            var transposed = new float[inputs * gates];
            for (var g = 0; g < gates; g++)
            {
                for (var i = 0; i < inputs; i++)
                {
                    transposed[(i * gates) + g] = values[(((d * gates) + g) * inputs) + i];
                }
            }

            var direction = WeightQuantizer.Quantize(transposed, [inputs, gates], 1, null, 1f, weightMax);
            direction.Values.CopyTo(quantized, d * inputs * gates);
            direction.Scales.CopyTo(scales, d * gates);
        }

        return (quantized, scales);
    }
}
