using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>
/// One Gemm layer as opset-11 exporters write Linear/classifier heads: Y = alpha · X · B(ᵀ) + beta · C with B and C in
/// Constant nodes, a symbolic batch dim, and B stored [N, K] with transB = 1 (PyTorch's layout) or [K, N] without.
/// </summary>
internal static class GemmLayerModel
{
    public const string Input = "x";
    public const string Output = "y";
    public const string Node = "head.gemm";
    public const int K = 128;
    public const int N = 96;

    /// <param name="bias">The shape of C, or null for a Gemm without C.</param>
    public static ModelProto Create(bool transB, float alpha = 1f, float beta = 1f, long[]? bias = null, bool transA = false, int seed = 4)
    {
        var random = new Random(seed);
        var b = new GraphBuilder("gemm", random);
        b.Graph.Input.Add(transA ? Nodes.TensorInfo(Input, DataType.Float, K, "batch") : Nodes.TensorInfo(Input, DataType.Float, "batch", K));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", N));
        var weight = b.Constant("head.weight", transB ? [N, K] : [K, N], RandomValues.Gaussian(random, K * N, MathF.Sqrt(1f / K)));
        string[] inputs = bias is null
            ? [Input, weight]
            : [Input, weight, b.Constant("head.bias", bias, RandomValues.Gaussian(random, (int)TensorValues.ElementCount(bias), 0.5f))];
        b.Node("Gemm", inputs, Output, Node,
            Attributes.Int("transA", transA ? 1 : 0), Attributes.Int("transB", transB ? 1 : 0), Attributes.Float("alpha", alpha), Attributes.Float("beta", beta));
        return b.Model(11);
    }
}
