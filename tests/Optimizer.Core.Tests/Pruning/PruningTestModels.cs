using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Pruning;

/// <summary>
/// Small graphs for the wiring cases the shared test models do not have: Concat of two branches, Flatten of a whole
/// feature map into a Gemm, a Reshape to a fixed size, and a channel that ReLU always zeroes.
/// Inputs are <c>image</c> [batch, 3, 8, 8]; weights partly in Constant nodes, as exports write them.
/// </summary>
internal static class PruningTestModels
{
    public const string Input = "image";

    public static readonly long[] ImageShape = [2, 3, 8, 8];

    /// <summary>
    /// Two Conv+Relu branches of <paramref name="width"/> channels joined by Concat, a 3x3 Conv over both, MaxPool,
    /// then Flatten of the 4x4 map straight into a Gemm (no global pooling: each channel feeds 16 features).
    /// </summary>
    public static ModelProto ConcatFlatten(int width, int opset = 13)
    {
        var (graph, random) = Start("concat-flatten");
        var a = ConvRelu(graph, random, "branch_a", Input, 3, width, 3, constant: true);
        var b = ConvRelu(graph, random, "branch_b", Input, 3, width, 1, constant: false);
        graph.Node.Add(Nodes.Create("Concat", "concat", [a, b], ["concat.out"], Attributes.Int("axis", 1)));
        var c = ConvRelu(graph, random, "mix", "concat.out", 2 * width, 2 * width, 3, constant: true);
        graph.Node.Add(Nodes.Create("MaxPool", "pool", [c], ["pool.out"], Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2)));
        graph.Node.Add(Nodes.Create("Flatten", "flatten", ["pool.out"], ["features"], Attributes.Int("axis", 1)));
        Head(graph, random, "features", 2 * width * 16);
        return Finish(graph, opset);
    }

    /// <summary>Conv+Relu, Conv+Relu, then <c>Reshape(-1, C*H*W)</c> with the size written out, as <c>x.view(-1, 512)</c> exports.</summary>
    public static ModelProto FixedReshape(bool twoConvs)
    {
        var (graph, random) = Start("fixed-reshape");
        var x = twoConvs ? ConvRelu(graph, random, "conv0", Input, 3, 8, 3, constant: true) : Input;
        x = ConvRelu(graph, random, "conv1", x, twoConvs ? 8 : 3, 8, 3, constant: false);
        graph.Initializer.Add(TensorValues.Create<long>("shape", DataType.Int64, [2], [-1, 8 * 8 * 8]));
        graph.Node.Add(Nodes.Create("Reshape", "reshape", [x, "shape"], ["features"]));
        Head(graph, random, "features", 8 * 8 * 8);
        return Finish(graph, 13);
    }

    /// <summary>One Conv+Relu of 8 channels whose channel <paramref name="dead"/> has a large negative bias (ReLU always outputs 0), then GAP and a Gemm.</summary>
    public static ModelProto DeadChannel(int dead)
    {
        var (graph, random) = Start("dead-channel");
        var weight = ConvNetModel.RandomTensor(random, "conv.weight", [8, 3, 3, 3], 0.5f);
        var bias = new float[8];
        bias[dead] = -1000f;
        graph.Initializer.Add(weight);
        graph.Initializer.Add(TensorValues.FromFloats("conv.bias", [8], bias));
        graph.Node.Add(Nodes.Create("Conv", "conv", [Input, "conv.weight", "conv.bias"], ["conv.out"],
            Attributes.Ints("kernel_shape", 3, 3), Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(Nodes.Create("Relu", "relu", ["conv.out"], ["relu.out"]));
        graph.Node.Add(Nodes.Create("GlobalAveragePool", "gap", ["relu.out"], ["gap.out"]));
        graph.Node.Add(Nodes.Create("Flatten", "flatten", ["gap.out"], ["features"], Attributes.Int("axis", 1)));
        Head(graph, random, "features", 8);
        return Finish(graph, 13);
    }

    private static (GraphProto Graph, Random Random) Start(string name)
    {
        var graph = new GraphProto { Name = name };
        graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 3, 8, 8));
        graph.Output.Add(Nodes.TensorInfo("logits", DataType.Float, "batch", 10));
        return (graph, new Random(17));
    }

    private static string ConvRelu(GraphProto graph, Random random, string name, string input, int inChannels, int outChannels, int kernel, bool constant)
    {
        var weight = ConvNetModel.RandomTensor(random, $"{name}.weight", [outChannels, inChannels, kernel, kernel], MathF.Sqrt(2f / (inChannels * kernel * kernel)));
        if (constant)
        {
            graph.Node.Add(Nodes.Create("Constant", $"{name}.weight.constant", [], [weight.Name], Attributes.Tensor("value", weight)));
        }
        else
        {
            graph.Initializer.Add(weight);
        }

        graph.Initializer.Add(ConvNetModel.RandomTensor(random, $"{name}.bias", [outChannels], 0.1f));
        var pad = kernel / 2;
        graph.Node.Add(Nodes.Create("Conv", name, [input, weight.Name, $"{name}.bias"], [$"{name}.out"],
            Attributes.Ints("kernel_shape", kernel, kernel), Attributes.Ints("pads", pad, pad, pad, pad)));
        graph.Node.Add(Nodes.Create("Relu", $"{name}.relu", [$"{name}.out"], [$"{name}.relu.out"]));
        return $"{name}.relu.out";
    }

    private static void Head(GraphProto graph, Random random, string features, int inFeatures)
    {
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "fc.weight", [10, inFeatures], MathF.Sqrt(1f / inFeatures)));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "fc.bias", [10], 0.1f));
        graph.Node.Add(Nodes.Create("Gemm", "fc", [features, "fc.weight", "fc.bias"], ["logits"], Attributes.Int("transB", 1)));
    }

    private static ModelProto Finish(GraphProto graph, int opset)
    {
        var model = new ModelProto { IrVersion = 7, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }
}
