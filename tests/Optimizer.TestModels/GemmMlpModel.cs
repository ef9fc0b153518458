using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// A transformer's feed-forward block and classifier head as opset-11 exporters write them: every Linear layer is one
/// Gemm with its weight in PyTorch's [out, in] layout (transB = 1) and its bias, both in Constant nodes, on
/// [rows, dim] with a symbolic row count; Relu between layers.
/// </summary>
public static class GemmMlpModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "x";

    /// <summary>Output name of the model.</summary>
    public const string Output = "logits";

    /// <summary>Builds dim → 4·dim → dim → <paramref name="classes"/> with deterministic weights.</summary>
    public static ModelProto Create(int dim = 256, int classes = 10, int seed = 12)
    {
        var random = new Random(seed);
        var b = new GraphBuilder("gemm_mlp", random);
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "rows", dim));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "rows", classes));
        var up = b.Node("Relu", [Linear(b, random, Input, dim, 4 * dim, "ff.up")]);
        var down = b.Node("Relu", [Linear(b, random, up, 4 * dim, dim, "ff.down")]);
        Linear(b, random, down, dim, classes, "head", Output);
        return b.Model(11);
    }

    private static string Linear(GraphBuilder b, Random random, string input, int inFeatures, int outFeatures, string name, string? output = null) =>
        b.Node("Gemm",
            [input, b.Constant($"{name}.weight", [outFeatures, inFeatures], RandomValues.Gaussian(random, inFeatures * outFeatures, MathF.Sqrt(1f / inFeatures))),
                b.Constant($"{name}.bias", [outFeatures], RandomValues.Gaussian(random, outFeatures, 0.1f))],
            output, $"{name}.gemm", Attributes.Int("transB", 1));
}
