using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// One pre-norm transformer block on [batch, tokens, dim]: LayerNormalization (opset 17), Q/K/V MatMuls, scaled Softmax
/// attention, output projection, residual, a decomposed LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div, as older exporters
/// write it) and an MLP. Scalars live in Constant nodes, the batch dim is symbolic.
/// </summary>
public static class TransformerBlockModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "x";

    /// <summary>Output name of the model.</summary>
    public const string Output = "y";

    /// <summary>Builds the block for <paramref name="tokens"/> tokens of width <paramref name="dim"/>.</summary>
    public static ModelProto Create(int dim = 32, int tokens = 8, int seed = 3)
    {
        var b = new GraphBuilder("transformer", new Random(seed));
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", tokens, dim));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", tokens, dim));

        var ln = b.Node("LayerNormalization", [Input, b.Weight("ln.gamma", [dim], 0.1f, 1f), b.Weight("ln.beta", [dim], 0.1f)],
            Attributes.Int("axis", -1), Attributes.Float("epsilon", 1e-5f));
        var q = b.Linear(ln, dim, dim, "q");
        var k = b.Linear(ln, dim, dim, "k");
        var v = b.Linear(ln, dim, dim, "v");
        var kt = b.Node("Transpose", [k], Attributes.Ints("perm", 0, 2, 1));
        var scores = b.Node("Mul", [b.Node("MatMul", [q, kt]), b.Scalar("scale", 1f / MathF.Sqrt(dim))]);
        var attention = b.Node("MatMul", [b.Node("Softmax", [scores], Attributes.Int("axis", -1)), v]);
        var residual = b.Node("Add", [Input, b.Linear(attention, dim, dim, "o")]);

        var mean = b.Node("ReduceMean", [residual], Attributes.Ints("axes", -1), Attributes.Int("keepdims", 1));
        var centered = b.Node("Sub", [residual, mean]);
        var variance = b.Node("ReduceMean", [b.Node("Pow", [centered, b.Scalar("two", 2f)])], Attributes.Ints("axes", -1), Attributes.Int("keepdims", 1));
        var normalized = b.Node("Div", [centered, b.Node("Sqrt", [b.Node("Add", [variance, b.Scalar("eps", 1e-12f)])])]);
        var ln2 = b.Node("Add", [b.Node("Mul", [normalized, b.Weight("ln2.gamma", [dim], 0.1f, 1f)]), b.Weight("ln2.beta", [dim], 0.1f)]);

        var hidden = b.Node("Relu", [b.Linear(ln2, dim, dim * 2, "ff1")]);
        b.Node("Add", [residual, b.Linear(hidden, dim * 2, dim, "ff2")], output: Output);
        return b.Model(17);
    }
}
