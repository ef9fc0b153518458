using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Finds the main-graph tensors shaped [batch, channels, spatial...] (rank 3 or more) without shape inference: outputs
/// of convolutions and pooling, and of element-wise ops and Concat over such tensors (broadcasting never lowers the
/// rank). These are the tensors ONNX Runtime may keep in its blocked NCHWc layout, and the ones GlobalMaxPool accepts.
/// </summary>
internal static class SpatialTensors
{
    private static readonly HashSet<string> SpatialOps = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool",
    };

    // Element-wise ops (output rank = the highest input rank) and ops that keep their input's rank.
    private static readonly HashSet<string> RankKeepingOps = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Softplus", "Abs", "Neg",
        "Identity", "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "BatchNormalization", "InstanceNormalization", "Concat", "Resize",
    };

    /// <summary>The outputs of <paramref name="model"/>'s main-graph nodes known to have rank 3 or more.</summary>
    public static IReadOnlySet<string> Of(ModelProto model)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        // Nodes are in topological order (an ONNX requirement), so every input is classified before its consumers.
        foreach (var node in model.Graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain) && n.Output.Count > 0))
        {
            if (SpatialOps.Contains(node.OpType) || (RankKeepingOps.Contains(node.OpType) && node.Input.Any(result.Contains)))
            {
                result.Add(node.Output[0]);
            }
        }

        return result;
    }
}
