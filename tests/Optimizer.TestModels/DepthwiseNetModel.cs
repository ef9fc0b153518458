using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// One stage of inverted residual blocks: <paramref name="Repeats"/> blocks of 1x1 expand (by <paramref name="Expansion"/>;
/// none when it is 1), 3x3 depthwise (the first with <paramref name="Stride"/>) and 1x1 project to <paramref name="Channels"/>,
/// activated with Relu6 or, with <paramref name="HardSwish"/>, HardSwish.
/// </summary>
public sealed record InvertedResidualStage(int Expansion, int Channels, int Repeats, int Stride, bool HardSwish = false);

/// <summary>
/// MobileNetV2/V3-style classifiers: a strided 3x3 stem, inverted residual blocks (1x1 expand, 3x3 depthwise Conv with
/// group = channels, 1x1 project), a final 1x1 Conv and a Gemm head; each Conv followed by an un-folded
/// BatchNormalization, Clip(0, 6) (Relu6) and HardSwish activations (written x · HardSigmoid(x), as exports for opsets
/// before 14 do; a HardSwish node from opset 14), residual Adds where shapes match. Opset 11 puts Clip's limits in inputs.
/// </summary>
public static class DepthwiseNetModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "image";

    /// <summary>Output name of the model.</summary>
    public const string Output = "logits";

    /// <summary>
    /// A small test network: three blocks with expansion 4 (the last with HardSwish) on a <paramref name="width"/>-channel
    /// stem, and a final 1x1 Conv to 4 x the last width with HardSwish. Narrow layers make its per-channel overhead large.
    /// </summary>
    public static ModelProto Create(int opset = 11, int width = 16, int classes = 10, int seed = 11, int imageSize = 32, bool weightsInConstants = false) =>
        Create([new(4, width, 1, 1), new(4, width * 2, 1, 2), new(4, width * 2, 1, 1, HardSwish: true)],
            width, width * 2 * 4, lastHardSwish: true, opset, classes, seed, imageSize, weightsInConstants);

    /// <summary>
    /// Builds a network of <paramref name="stages"/> after a stride-2 stem of <paramref name="stemChannels"/>, ending in a
    /// 1x1 Conv to <paramref name="lastChannels"/>, global average pooling and a Gemm to <paramref name="classes"/>;
    /// <paramref name="weightsInConstants"/> puts the Conv weights in Constant nodes, as some exporters do.
    /// </summary>
    public static ModelProto Create(IReadOnlyList<InvertedResidualStage> stages, int stemChannels, int lastChannels, bool lastHardSwish,
        int opset, int classes, int seed, int imageSize, bool weightsInConstants = false)
    {
        var graph = new GraphProto { Name = "mobilenet" };
        graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 3, imageSize, imageSize));
        graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));
        graph.Initializer.Add(TensorValues.FromFloats("relu6.min", [], [0f]));
        graph.Initializer.Add(TensorValues.FromFloats("relu6.max", [], [6f]));
        var layers = new ConvBnLayers(graph, new Random(seed), weightsInConstants);

        var x = Relu6(graph, "stem.relu6", layers.ConvBn("stem", Input, 3, stemChannels, 3, stride: 2));
        var channels = stemChannels;
        var b = 0;
        foreach (var stage in stages)
        {
            for (var repeat = 0; repeat < stage.Repeats; repeat++, b++)
            {
                var stride = repeat == 0 ? stage.Stride : 1;
                var hidden = channels * stage.Expansion;
                var name = $"block{b}";
                string Activate(string n, string t) => stage.HardSwish ? HardSwish(graph, n, t, opset) : Relu6(graph, n, t);
                var y = stage.Expansion == 1 ? x : Activate($"{name}.act1", layers.ConvBn($"{name}.expand", x, channels, hidden, 1));
                y = Activate($"{name}.act2", layers.ConvBn($"{name}.depthwise", y, hidden, hidden, 3, stride, group: hidden));
                y = layers.ConvBn($"{name}.project", y, hidden, stage.Channels, 1);
                if (stride == 1 && channels == stage.Channels)
                {
                    graph.Node.Add(Nodes.Create("Add", $"{name}.add", [y, x], [$"{name}.sum"]));
                    y = $"{name}.sum";
                }

                x = y;
                channels = stage.Channels;
            }
        }

        var last = layers.ConvBn("last", x, channels, lastChannels, 1);
        x = lastHardSwish ? HardSwish(graph, "last.act", last, opset) : Relu6(graph, "last.act", last);
        layers.Head(x, lastChannels, classes, Output);
        var model = new ModelProto { IrVersion = 7, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private static string Relu6(GraphProto graph, string name, string input)
    {
        graph.Node.Add(Nodes.Create("Clip", name, [input, "relu6.min", "relu6.max"], [$"{name}.out"]));
        return $"{name}.out";
    }

    private static string HardSwish(GraphProto graph, string name, string input, int opset)
    {
        if (opset >= 14)
        {
            graph.Node.Add(Nodes.Create("HardSwish", name, [input], [$"{name}.out"]));
            return $"{name}.out";
        }

        graph.Node.Add(Nodes.Create("HardSigmoid", $"{name}.gate", [input], [$"{name}.gate.out"],
            Attributes.Float("alpha", 1f / 6), Attributes.Float("beta", 0.5f)));
        graph.Node.Add(Nodes.Create("Mul", name, [input, $"{name}.gate.out"], [$"{name}.out"]));
        return $"{name}.out";
    }
}
