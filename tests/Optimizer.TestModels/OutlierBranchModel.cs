using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// An MLP classifier with one sensitive branch, like the outlier feature channels of large transformers: the branch's
/// Linear layer has one output column 1000x larger than the rest (and the next layer scales it back down), so the
/// tensor between them spans thousands while all its other features stay near 1. Per-tensor int8 activations then
/// round those features to zero. Weights are in Constant nodes, the batch dim is symbolic, opset 13.
/// </summary>
public static class OutlierBranchModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "x";

    /// <summary>Output name of the model.</summary>
    public const string Output = "logits";

    /// <summary>Input features.</summary>
    public const int Features = 32;

    /// <summary>The node that reads the outlier tensor (the branch's second Linear layer's MatMul).</summary>
    public const string SensitiveNode = "branch.out.matmul";

    /// <summary>How much larger the outlier feature is than the others.</summary>
    public const float OutlierGain = 1000f;

    /// <summary>Builds the model with deterministic weights.</summary>
    public static ModelProto Create(int seed = 21, int classes = 10)
    {
        var random = new Random(seed);
        var b = new GraphBuilder("outlier", random);
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", Features));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));

        var hidden = b.Node("Relu", [Linear(b, random, Input, Features, Features, "stem")]);
        var gain = Enumerable.Repeat(1f, Features).ToArray();
        gain[0] = OutlierGain;
        var outliers = Linear(b, random, hidden, Features, Features, "branch.in", columnGain: gain);
        var shrink = gain.Select(g => 1f / g).ToArray();
        var branch = b.Node("Add", [b.Node("MatMul", [outliers, Constant(b, random, "branch.out.weight", Features, Features, shrink)], name: SensitiveNode),
            b.Constant("branch.out.bias", [Features], new float[Features])]);
        var main = Linear(b, random, hidden, Features, Features, "main");
        var joined = b.Node("Relu", [b.Node("Add", [main, branch])]);
        b.Node("Add", [b.Node("MatMul", [joined, Constant(b, random, "head.weight", Features, classes, null)]), b.Constant("head.bias", [classes], new float[classes])], output: Output);
        return b.Model(13);
    }

    private static string Linear(GraphBuilder b, Random random, string input, int inFeatures, int outFeatures, string name, float[]? columnGain = null)
    {
        var weight = Constant(b, random, $"{name}.weight", inFeatures, outFeatures, null, columnGain);
        var bias = b.Constant($"{name}.bias", [outFeatures], RandomValues.Gaussian(random, outFeatures, 0.1f));
        return b.Node("Add", [b.Node("MatMul", [input, weight], name: $"{name}.matmul"), bias], name: $"{name}.add");
    }

    /// <summary>A [rows, columns] weight in a Constant node; <paramref name="rowGain"/> scales rows, <paramref name="columnGain"/> columns.</summary>
    private static string Constant(GraphBuilder b, Random random, string name, int rows, int columns, float[]? rowGain, float[]? columnGain = null)
    {
        var values = RandomValues.Gaussian(random, rows * columns, MathF.Sqrt(1f / rows));
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= (rowGain?[i / columns] ?? 1f) * (columnGain?[i % columns] ?? 1f);
        }

        return b.Constant(name, [rows, columns], values);
    }
}
