using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Finds the main-graph tensors that can never hold a negative value, whatever the input: outputs of Relu, Sigmoid,
/// Softmax and Clip with a constant lower bound of at least 0, and of pooling and shape ops over such tensors.
/// Their quantization range always starts at 0 (ranges are widened to include 0), so min/max calibration needs only
/// their maximum: one reduction inside ONNX Runtime instead of two.
/// </summary>
internal static class NonNegativeTensors
{
    private static readonly HashSet<string> NonNegativeOps = new(StringComparer.Ordinal) { "Relu", "Sigmoid", "Softmax" };

    // Ops whose output values are taken from (or averaged over) their first input's values only.
    private static readonly HashSet<string> PreservingOps = new(StringComparer.Ordinal)
    {
        "MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity",
    };

    /// <summary>The non-negative outputs of <paramref name="model"/>'s main-graph nodes.</summary>
    public static IReadOnlySet<string> Of(ModelProto model)
    {
        var graph = model.Graph;
        var result = new HashSet<string>(StringComparer.Ordinal);
        // Nodes are in topological order (an ONNX requirement), so every input is classified before its consumers.
        foreach (var node in graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain) && n.Output.Count > 0))
        {
            var nonNegative = node.OpType switch
            {
                "Clip" => LowerBound(graph, node) >= 0f,
                "Concat" => node.Input.All(result.Contains),
                _ when PreservingOps.Contains(node.OpType) => node.Input.Count > 0 && result.Contains(node.Input[0]),
                _ => NonNegativeOps.Contains(node.OpType),
            };
            if (nonNegative)
            {
                result.Add(node.Output[0]);
            }
        }

        return result;
    }

    /// <summary>Clip's constant lower bound (attribute before opset 11, input 1 after); NaN when absent or not constant.</summary>
    private static float LowerBound(GraphProto graph, NodeProto clip)
    {
        if (clip.Attribute.FirstOrDefault(a => a.Name == "min") is { } attribute)
        {
            return attribute.F;
        }

        if (clip.Input.Count < 2 || clip.Input[1].Length == 0)
        {
            return float.NaN;
        }

        var tensor = graph.Initializer.FirstOrDefault(i => i.Name == clip.Input[1])
            ?? (Nodes.Producer(graph, clip.Input[1]) is { OpType: "Constant" } constant ? constant.Attribute.FirstOrDefault(a => a.Name == "value")?.T : null);
        return tensor is not null && TensorValues.IsFloatingPoint(tensor) && TensorValues.ReadFloats(tensor) is [var min] ? min : float.NaN;
    }
}
