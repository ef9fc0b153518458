using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// A sequence classifier as PyTorch exports an <c>nn.LSTM(batch_first=True)</c> model at opset 11: a Linear input
/// projection, Transpose to [seq, batch, features], a one-layer LSTM (W, R and B initializers, gates in ONNX order
/// iofc), Squeeze of the last hidden state (axes attribute, opset 11) and a Linear head. Symbolic batch and sequence dims.
/// </summary>
public static class LstmModel
{
    /// <summary>Input name of the model: [batch, seq, features].</summary>
    public const string Input = "x";

    /// <summary>Output name of the model: [batch, classes].</summary>
    public const string Output = "logits";

    /// <summary>Builds the model with deterministic weights.</summary>
    public static ModelProto Create(int features = 32, int hidden = 64, int classes = 10, int seed = 13)
    {
        var random = new Random(seed);
        var b = new GraphBuilder("lstm", random);
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", "seq", features));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));

        var projected = b.Linear(Input, features, hidden, "proj");
        var sequenceFirst = b.Node("Transpose", [projected], Attributes.Ints("perm", 1, 0, 2));
        var gateScale = MathF.Sqrt(1f / hidden);
        var w = b.Weight("lstm.W", [1, 4 * hidden, hidden], gateScale);
        var r = b.Weight("lstm.R", [1, 4 * hidden, hidden], gateScale);
        var bias = b.Weight("lstm.B", [1, 8 * hidden], 0.05f);
        b.Graph.Node.Add(Nodes.Create("LSTM", "lstm", [sequenceFirst, w, r, bias], ["lstm.Y", "lstm.Y_h", "lstm.Y_c"],
            Attributes.Int("hidden_size", hidden)));
        var last = b.Node("Squeeze", ["lstm.Y_h"], Attributes.Ints("axes", 0));
        b.Node("Add", [b.Node("MatMul", [last, b.Weight("head.weight", [hidden, classes], MathF.Sqrt(1f / hidden))]), b.Weight("head.bias", [classes], 0.05f)],
            output: Output);
        return b.Model(11);
    }
}
