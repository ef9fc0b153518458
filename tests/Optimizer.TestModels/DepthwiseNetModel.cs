using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// A MobileNetV2/V3-style classifier: inverted residual blocks (1x1 expand, 3x3 depthwise Conv with group = channels,
/// 1x1 project), each Conv followed by an un-folded BatchNormalization, Clip(0, 6) (Relu6) and HardSwish activations
/// (written x · HardSigmoid(x), as exports for opsets before 14 do), residual Adds where shapes match, and a Gemm head.
/// Opset 11 puts Clip's limits in inputs.
/// </summary>
public static class DepthwiseNetModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "image";

    /// <summary>Output name of the model.</summary>
    public const string Output = "logits";

    /// <summary>Builds the model; <paramref name="width"/> is the stem's channel count.</summary>
    public static ModelProto Create(int opset = 11, int width = 16, int classes = 10, int seed = 11, int imageSize = 32)
    {
        var graph = new GraphProto { Name = "mobilenet" };
        graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 3, imageSize, imageSize));
        graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));
        graph.Initializer.Add(TensorValues.FromFloats("relu6.min", [], [0f]));
        graph.Initializer.Add(TensorValues.FromFloats("relu6.max", [], [6f]));
        var layers = new ConvBnLayers(graph, new Random(seed));

        var x = Relu6(graph, "stem.relu6", layers.ConvBn("stem", Input, 3, width, 3, stride: 2));
        var channels = width;
        (int Out, int Stride, bool HardSwish)[] blocks = [(width, 1, false), (width * 2, 2, false), (width * 2, 1, true)];
        for (var b = 0; b < blocks.Length; b++)
        {
            var (outChannels, stride, hardSwish) = blocks[b];
            var hidden = channels * 4;
            var name = $"block{b}";
            string Activate(string n, string t) => hardSwish ? HardSwish(graph, n, t) : Relu6(graph, n, t);
            var y = Activate($"{name}.act1", layers.ConvBn($"{name}.expand", x, channels, hidden, 1));
            y = Activate($"{name}.act2", layers.ConvBn($"{name}.depthwise", y, hidden, hidden, 3, stride, group: hidden));
            y = layers.ConvBn($"{name}.project", y, hidden, outChannels, 1);
            if (stride == 1 && channels == outChannels)
            {
                graph.Node.Add(Nodes.Create("Add", $"{name}.add", [y, x], [$"{name}.sum"]));
                y = $"{name}.sum";
            }

            x = y;
            channels = outChannels;
        }

        x = HardSwish(graph, "last.act", layers.ConvBn("last", x, channels, channels * 4, 1));
        layers.Head(x, channels * 4, classes, Output);
        var model = new ModelProto { IrVersion = 7, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private static string Relu6(GraphProto graph, string name, string input)
    {
        graph.Node.Add(Nodes.Create("Clip", name, [input, "relu6.min", "relu6.max"], [$"{name}.out"]));
        return $"{name}.out";
    }

    private static string HardSwish(GraphProto graph, string name, string input)
    {
        graph.Node.Add(Nodes.Create("HardSigmoid", $"{name}.gate", [input], [$"{name}.gate.out"],
            Attributes.Float("alpha", 1f / 6), Attributes.Float("beta", 0.5f)));
        graph.Node.Add(Nodes.Create("Mul", name, [input, $"{name}.gate.out"], [$"{name}.out"]));
        return $"{name}.out";
    }
}
