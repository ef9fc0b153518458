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
}
