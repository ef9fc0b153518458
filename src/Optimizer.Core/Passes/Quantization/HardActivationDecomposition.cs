using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Rewrites <c>HardSigmoid(x) = max(0, min(1, αx + β))</c> as <c>Clip(x + β/α, 0, 1/α) · α</c> and
/// <c>HardSwish(x)</c> as <c>x · HardSigmoid(x)</c> with α = 1/6, β = 1/2, computing the same function. ONNX Runtime
/// has no integer HardSigmoid or HardSwish, so in a QDQ model they ran in float between a DequantizeLinear and a
/// QuantizeLinear, which kept MobileNetV3's HardSwish (<c>x · HardSigmoid(x)</c> as exports before opset 14 write it)
/// out of int8. After the rewrite the Add becomes QLinearAdd, the Clip folds into its output quantization, the
/// positive factor α becomes a dequantization scale (<see cref="QuantizationPlan.ScaledAliases"/>) and the product
/// QLinearMul.
/// </summary>
internal static class HardActivationDecomposition
{
    /// <summary>
    /// Rewrites every float HardSigmoid (with α &gt; 0) and HardSwish in <paramref name="model"/>'s main graph (opset 11
    /// or later, where Clip takes its limits as inputs) that <paramref name="options"/> do not exclude from quantization,
    /// by op type or name; returns how many nodes were rewritten. Nothing is rewritten when Add is excluded: the
    /// decomposition would then run as three float nodes instead of one.
    /// </summary>
    public static int Apply(ModelProto model, QuantizationOptions options)
    {
        if (options.ExcludeOpTypes.Contains("Add"))
        {
            return 0;
        }

        var excluded = new NodeNameMatcher(options.ExcludeNodeNames);
        var graph = model.Graph;
        var types = TensorElementTypes.Infer(new GraphScopes(model));
        var names = new UniqueNames(model);
        var rewritten = 0;
        var nodes = new List<NodeProto>(graph.Node.Count);
        foreach (var node in graph.Node)
        {
            var isHardSwish = node.OpType == "HardSwish";
            var (alpha, beta) = isHardSwish ? (1f / 6, 0.5f) : (Attributes.GetFloat(node, "alpha", 0.2f), Attributes.GetFloat(node, "beta", 0.5f));
            if (node.OpType is not ("HardSigmoid" or "HardSwish") || !Opsets.IsDefaultDomain(node.Domain) || node.Input.Count != 1
                || node.Output.Count != 1 || options.ExcludeOpTypes.Contains(node.OpType) || excluded.IsMatch(node.Name)
                || types.Get(graph, node.Output[0]) != DataType.Float || !(alpha > 0f) || !float.IsFinite(beta / alpha) || !float.IsFinite(1f / alpha))
            {
                nodes.Add(node);
                continue;
            }

            var prefix = node.Name.Length > 0 ? node.Name : node.Output[0];
            var input = node.Input[0];
            var gate = isHardSwish ? names.Take($"{prefix}.gate") : node.Output[0];
            var shifted = names.Take($"{prefix}.shifted");
            var clipped = names.Take($"{prefix}.clipped");
            nodes.Add(Nodes.Create("Add", names.Take($"{prefix}.add"), [input, Scalar(graph, names.Take($"{prefix}.offset"), beta / alpha)], [shifted]));
            nodes.Add(Nodes.Create("Clip", names.Take($"{prefix}.clip"),
                [shifted, Scalar(graph, names.Take($"{prefix}.low"), 0f), Scalar(graph, names.Take($"{prefix}.high"), 1f / alpha)], [clipped]));
            nodes.Add(Nodes.Create("Mul", names.Take($"{prefix}.slope"), [clipped, Scalar(graph, names.Take($"{prefix}.alpha"), alpha)], [gate]));
            if (isHardSwish)
            {
                nodes.Add(Nodes.Create("Mul", names.Take($"{prefix}.mul"), [input, gate], [node.Output[0]]));
            }

            rewritten++;
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        return rewritten;
    }

    private static string Scalar(GraphProto graph, string name, float value)
    {
        graph.Initializer.Add(TensorValues.FromFloats(name, [], [value]));
        return name;
    }
}
