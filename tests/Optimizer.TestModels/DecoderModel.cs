using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// A segmentation-style decoder built from the ops detection and segmentation exports use around their convolutions:
/// Conv + LeakyRelu, Split into two branches (one upsampled by a stride-2 ConvTranspose, one by nearest Resize), a
/// Concat joining them, a Sigmoid gate, a Slice, and a per-pixel Softmax over channels. Symbolic batch, opset 13.
/// </summary>
public static class DecoderModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "features";

    /// <summary>Output name of the model.</summary>
    public const string Output = "classes";

    /// <summary>Channels of the input feature map.</summary>
    public const int Channels = 8;

    /// <summary>Builds the model for <paramref name="size"/> x <paramref name="size"/> input feature maps.</summary>
    public static ModelProto Create(int size = 8, int seed = 13)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "decoder" };
        graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", Channels, size, size));
        graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 4, size * 2, size * 2));
        void Weight(string name, long[] dims, int fanIn) => graph.Initializer.Add(ConvNetModel.RandomTensor(random, name, dims, MathF.Sqrt(2f / fanIn)));
        void Add(string op, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
            graph.Node.Add(Nodes.Create(op, name, inputs, outputs, attributes));

        Weight("conv.weight", [16, Channels, 3, 3], Channels * 9);
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "conv.bias", [16], 0.1f));
        Add("Conv", "conv", [Input, "conv.weight", "conv.bias"], ["conv.out"], Attributes.Ints("kernel_shape", 3, 3), Attributes.Ints("pads", 1, 1, 1, 1));
        Add("LeakyRelu", "leaky", ["conv.out"], ["leaky.out"], Attributes.Float("alpha", 0.1f));
        graph.Initializer.Add(TensorValues.Create<long>("split.sizes", DataType.Int64, [2], [8, 8]));
        Add("Split", "split", ["leaky.out", "split.sizes"], ["branch.a", "branch.b"], Attributes.Int("axis", 1));

        Weight("up.weight", [8, 8, 2, 2], 8 * 4);
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "up.bias", [8], 0.1f));
        Add("ConvTranspose", "up", ["branch.a", "up.weight", "up.bias"], ["up.out"], Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2));
        graph.Initializer.Add(TensorValues.FromFloats("resize.scales", [4], [1f, 1f, 2f, 2f]));
        Add("Resize", "resize", ["branch.b", "", "resize.scales"], ["resize.out"], Attributes.String("mode", "nearest"));
        Add("Concat", "concat", ["up.out", "resize.out"], ["concat.out"], Attributes.Int("axis", 1));
        Add("Sigmoid", "gate", ["concat.out"], ["gate.out"]);
        Add("Mul", "gated", ["concat.out", "gate.out"], ["gated.out"]);

        Weight("head.weight", [6, 16, 1, 1], 16);
        Add("Conv", "head", ["gated.out", "head.weight"], ["head.out"], Attributes.Ints("kernel_shape", 1, 1));
        graph.Initializer.Add(TensorValues.Create<long>("slice.starts", DataType.Int64, [1], [0]));
        graph.Initializer.Add(TensorValues.Create<long>("slice.ends", DataType.Int64, [1], [4]));
        graph.Initializer.Add(TensorValues.Create<long>("slice.axes", DataType.Int64, [1], [1]));
        Add("Slice", "slice", ["head.out", "slice.starts", "slice.ends", "slice.axes"], ["slice.out"]);
        Add("Softmax", "softmax", ["slice.out"], [Output], Attributes.Int("axis", 1));

        var model = new ModelProto { IrVersion = 7, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }
}
