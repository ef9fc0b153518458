using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// A small image classifier shaped like real exports: symbolic batch dim, Conv+Relu blocks with some weights in
/// Constant nodes (as Paddle2ONNX and older PyTorch exports write them), MaxPool, GlobalAveragePool, Flatten and a Gemm head.
/// </summary>
public static class ConvNetModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "image";

    /// <summary>Output name of the model.</summary>
    public const string Output = "logits";

    /// <summary>Builds the model with deterministic weights; <paramref name="width"/> scales the channel counts, <paramref name="imageSize"/> the input.</summary>
    public static ModelProto Create(int opset = 13, int width = 16, int classes = 10, int seed = 1, int imageSize = 16)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "convnet" };
        graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 3, imageSize, imageSize));
        graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));

        var x = Input;
        var channels = 3;
        var blocks = new[] { width, width * 2, width * 4 };
        for (var b = 0; b < blocks.Length; b++)
        {
            var outChannels = blocks[b];
            var weight = RandomTensor(random, $"conv{b}.weight", [outChannels, channels, 3, 3], MathF.Sqrt(2f / (channels * 9)));
            var bias = RandomTensor(random, $"conv{b}.bias", [outChannels], 0.1f);
            // Alternate storage so every test exercises both places weights live in real models.
            if (b % 2 == 0)
            {
                graph.Node.Add(Nodes.Create("Constant", $"conv{b}.weight.constant", [], [weight.Name], Attributes.Tensor("value", weight)));
                graph.Initializer.Add(bias);
            }
            else
            {
                graph.Initializer.Add(weight);
                graph.Initializer.Add(bias);
            }

            graph.Node.Add(Nodes.Create("Conv", $"conv{b}", [x, weight.Name, bias.Name], [$"conv{b}.out"],
                Attributes.Ints("kernel_shape", 3, 3), Attributes.Ints("pads", 1, 1, 1, 1)));
            graph.Node.Add(Nodes.Create("Relu", $"relu{b}", [$"conv{b}.out"], [$"relu{b}.out"]));
            x = $"relu{b}.out";
            if (b < blocks.Length - 1)
            {
                graph.Node.Add(Nodes.Create("MaxPool", $"pool{b}", [x], [$"pool{b}.out"],
                    Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2)));
                x = $"pool{b}.out";
            }

            channels = outChannels;
        }

        graph.Node.Add(Nodes.Create("GlobalAveragePool", "gap", [x], ["gap.out"]));
        graph.Node.Add(Nodes.Create("Flatten", "flatten", ["gap.out"], ["features"], Attributes.Int("axis", 1)));
        graph.Initializer.Add(RandomTensor(random, "fc.weight", [classes, channels], MathF.Sqrt(1f / channels)));
        graph.Initializer.Add(RandomTensor(random, "fc.bias", [classes], 0.1f));
        graph.Node.Add(Nodes.Create("Gemm", "fc", ["features", "fc.weight", "fc.bias"], [Output], Attributes.Int("transB", 1)));

        var model = new ModelProto { IrVersion = 8, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>A float tensor of normally distributed values with standard deviation <paramref name="scale"/>.</summary>
    public static TensorProto RandomTensor(Random random, string name, long[] dims, float scale)
    {
        var values = new float[TensorValues.ElementCount(dims)];
        for (var i = 0; i < values.Length; i++)
        {
            // Box-Muller: weights of trained nets are roughly Gaussian, unlike uniform noise.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            values[i] = scale * (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return TensorValues.FromFloats(name, dims, values);
    }
}
