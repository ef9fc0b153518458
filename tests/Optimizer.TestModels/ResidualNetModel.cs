using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// A ResNet-style classifier as eval-mode exports write it: Conv + un-folded BatchNormalization + Relu, basic residual
/// blocks whose skip joins with Add (a projection Conv where the shape changes), weights in Constant nodes, a
/// symbolic batch dim, GlobalAveragePool and a Gemm head.
/// </summary>
public static class ResidualNetModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "image";

    /// <summary>Output name of the model.</summary>
    public const string Output = "logits";

    /// <summary>Builds the model; <paramref name="width"/> is the stem's channel count, doubled at each of the two downsampling stages.</summary>
    public static ModelProto Create(int opset = 11, int width = 16, int classes = 10, int seed = 7, int imageSize = 32)
    {
        var graph = new GraphProto { Name = "resnet" };
        graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 3, imageSize, imageSize));
        graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));
        var layers = new ConvBnLayers(graph, new Random(seed), weightsInConstants: true);

        var x = layers.Unary("Relu", "stem.relu", layers.ConvBn("stem", Input, 3, width, 3));
        var channels = width;
        for (var stage = 0; stage < 3; stage++)
        {
            var outChannels = width << stage;
            var stride = stage == 0 ? 1 : 2;
            var name = $"stage{stage}";
            var y = layers.Unary("Relu", $"{name}.relu1", layers.ConvBn($"{name}.conv1", x, channels, outChannels, 3, stride));
            y = layers.ConvBn($"{name}.conv2", y, outChannels, outChannels, 3);
            var skip = stride == 1 && channels == outChannels ? x : layers.ConvBn($"{name}.proj", x, channels, outChannels, 1, stride);
            graph.Node.Add(Nodes.Create("Add", $"{name}.add", [y, skip], [$"{name}.sum"]));
            x = layers.Unary("Relu", $"{name}.relu2", $"{name}.sum");
            channels = outChannels;
        }

        layers.Head(x, channels, classes, Output);
        var model = new ModelProto { IrVersion = 7, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }
}
