namespace Optimizer.Core.Passes.Quantization;

/// <summary>The op families the pass knows how to quantize, and how ONNX Runtime's QDQ fusions treat their neighbours.</summary>
internal static class QuantizableOps
{
    /// <summary>
    /// Ops that get QDQ on their float inputs and output; ORT turns each into an integer kernel (QLinearConv,
    /// QLinearConvTranspose, QGemm, QLinearAdd, QLinearLeakyRelu, QLinearSigmoid, QLinearSoftmax, ...).
    /// </summary>
    public static readonly HashSet<string> Compute = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Concat", "GlobalAveragePool", "AveragePool",
        "LeakyRelu", "Sigmoid", "Softmax",
    };

    /// <summary>
    /// Ops that only move or select values. When both their input and output are quantized, the output reuses the
    /// input's scale and zero point, which is the condition for ORT to drop the QDQ pair and run them on uint8.
    /// </summary>
    public static readonly HashSet<string> PassThrough = new(StringComparer.Ordinal)
    {
        "MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Resize", "Gather", "Slice", "Split",
        "Expand", "DepthToSpace", "SpaceToDepth",
    };

    /// <summary>
    /// Activations ORT folds into the preceding integer kernel when a QuantizeLinear follows them (Relu with zero point
    /// at the type's minimum, Clip within the quantized range). The output QDQ goes after them, never between.
    /// </summary>
    public static readonly HashSet<string> FusedActivations = new(StringComparer.Ordinal) { "Relu", "Clip" };

    /// <summary>
    /// Ops whose int8 weights are stored without a zero-point tensor (DequantizeLinear's zero point is optional and 0
    /// when absent, which symmetric weights have). ORT 1.31's Conv fusion accepts that; its Gemm fusion does not and
    /// leaves a float Gemm, so the others keep the explicit zero points.
    /// </summary>
    public static readonly HashSet<string> WeightZeroPointOptional = new(StringComparer.Ordinal) { "Conv" };

    /// <summary>
    /// Ops that scale a tensor by a scalar constant (Mul: either input, Div: the divisor). With a positive factor their
    /// output is the input's quantized tensor dequantized with a proportionally larger scale, so they need no node.
    /// </summary>
    public static readonly HashSet<string> ScalarScaling = new(StringComparer.Ordinal) { "Mul", "Div" };
}
