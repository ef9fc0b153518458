using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// One stage of inverted residual blocks: <paramref name="Repeats"/> blocks of 1x1 expand (by <paramref name="Expansion"/>,
/// or to <paramref name="HiddenChannels"/> when given; none when that leaves the width unchanged), depthwise
/// <paramref name="Kernel"/>x<paramref name="Kernel"/> (the first with <paramref name="Stride"/>), optionally a
/// squeeze-and-excitation gate (MobileNetV3), and 1x1 project to <paramref name="Channels"/>; activated with Relu6, or
/// with HardSwish or plain Relu (MobileNetV3's two).
/// </summary>
public sealed record InvertedResidualStage(int Expansion, int Channels, int Repeats, int Stride, bool HardSwish = false,
    int Kernel = 3, bool SqueezeExcite = false, int HiddenChannels = 0, bool PlainRelu = false);

/// <summary>
/// MobileNetV2/V3-style classifiers: a strided 3x3 stem, inverted residual blocks (1x1 expand, depthwise Conv with
/// group = channels, optional squeeze-and-excitation, 1x1 project), a final 1x1 Conv and a Gemm head (with a hidden
/// Gemm and HardSwish in V3); each Conv followed by an un-folded BatchNormalization, Clip(0, 6) (Relu6), Relu and
/// HardSwish activations (written x · HardSigmoid(x), as exports for opsets before 14 do; a HardSwish node from opset
/// 14), residual Adds where shapes match. Opset 11 puts Clip's limits in inputs.
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
    /// Builds a network of <paramref name="stages"/> after a stride-2 stem of <paramref name="stemChannels"/> (Relu6, or
    /// HardSwish with <paramref name="stemHardSwish"/>), ending in a 1x1 Conv to <paramref name="lastChannels"/>, global
    /// average pooling, a Gemm to <paramref name="headHidden"/> features and HardSwish when that is above 0, and a Gemm to
    /// <paramref name="classes"/>; <paramref name="weightsInConstants"/> puts the Conv weights in Constant nodes, as some
    /// exporters do.
    /// </summary>
    public static ModelProto Create(IReadOnlyList<InvertedResidualStage> stages, int stemChannels, int lastChannels, bool lastHardSwish,
        int opset, int classes, int seed, int imageSize, bool weightsInConstants = false, bool stemHardSwish = false, int headHidden = 0)
    {
        var graph = new GraphProto { Name = "mobilenet" };
        graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 3, imageSize, imageSize));
        graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));
        graph.Initializer.Add(TensorValues.FromFloats("relu6.min", [], [0f]));
        graph.Initializer.Add(TensorValues.FromFloats("relu6.max", [], [6f]));
        var layers = new ConvBnLayers(graph, new Random(seed), weightsInConstants);

        var stem = layers.ConvBn("stem", Input, 3, stemChannels, 3, stride: 2);
        var x = stemHardSwish ? HardSwish(graph, "stem.act", stem, opset) : Relu6(graph, "stem.relu6", stem);
        var channels = stemChannels;
        var b = 0;
        foreach (var stage in stages)
        {
            for (var repeat = 0; repeat < stage.Repeats; repeat++, b++)
            {
                var stride = repeat == 0 ? stage.Stride : 1;
                var hidden = stage.HiddenChannels > 0 ? stage.HiddenChannels : channels * stage.Expansion;
                var name = $"block{b}";
                string Activate(string n, string t) =>
                    stage.HardSwish ? HardSwish(graph, n, t, opset) : stage.PlainRelu ? layers.Unary("Relu", n, t) : Relu6(graph, n, t);
                var y = hidden == channels ? x : Activate($"{name}.act1", layers.ConvBn($"{name}.expand", x, channels, hidden, 1));
                y = Activate($"{name}.act2", layers.ConvBn($"{name}.depthwise", y, hidden, hidden, stage.Kernel, stride, group: hidden));
                if (stage.SqueezeExcite)
                {
                    y = SqueezeExcite(layers, $"{name}.se", y, hidden);
                }

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
        if (headHidden > 0)
        {
            graph.Node.Add(Nodes.Create("GlobalAveragePool", "gap", [x], ["gap.out"]));
            graph.Node.Add(Nodes.Create("Flatten", "flatten", ["gap.out"], ["flat"], Attributes.Int("axis", 1)));
            var features = HardSwish(graph, "head.act", layers.Dense("head.hidden", "flat", lastChannels, headHidden), opset);
            graph.Node.Add(Nodes.Create("Gemm", "fc", [features, layers.Weight("fc.weight", [classes, headHidden], MathF.Sqrt(1f / headHidden)),
                layers.Weight("fc.bias", [classes], 0.1f)], [Output], Attributes.Int("transB", 1)));
        }
        else
        {
            layers.Head(x, lastChannels, classes, Output);
        }

        var model = new ModelProto { IrVersion = 7, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>
    /// MobileNetV3's gate: global average pooling, a 1x1 Conv to a quarter of the channels (rounded to a multiple of 8),
    /// Relu, a 1x1 Conv back, HardSigmoid, and the input scaled per channel by the gate (a broadcasting Mul).
    /// </summary>
    private static string SqueezeExcite(ConvBnLayers layers, string name, string input, int channels)
    {
        var squeezed = Math.Max(8, (channels / 4 + 4) / 8 * 8);
        var graph = layers.Graph;
        graph.Node.Add(Nodes.Create("GlobalAveragePool", $"{name}.pool", [input], [$"{name}.pool.out"]));
        var reduce = layers.Unary("Relu", $"{name}.relu", layers.Conv($"{name}.reduce", $"{name}.pool.out", channels, squeezed));
        var gate = layers.Unary("HardSigmoid", $"{name}.gate", layers.Conv($"{name}.expand", reduce, squeezed, channels),
            Attributes.Float("alpha", 1f / 6), Attributes.Float("beta", 0.5f));
        graph.Node.Add(Nodes.Create("Mul", $"{name}.scale", [input, gate], [$"{name}.out"]));
        return $"{name}.out";
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
