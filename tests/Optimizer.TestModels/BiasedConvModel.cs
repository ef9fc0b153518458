using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// A conv net whose middle Conv has a strong per-channel quantization bias: each of its filters has one large tap
/// and many small positive ones, below half an int8 step of that filter's scale, so int8 rounds them all to zero. On
/// the non-negative Relu outputs it reads, that error does not average out: every output channel is shifted by a
/// different constant, the case bias correction exists for. Weights in Constant nodes, symbolic batch dim, opset 13.
/// </summary>
public static class BiasedConvModel
{
    /// <summary>Input name of the model.</summary>
    public const string Input = "image";

    /// <summary>Output name of the model.</summary>
    public const string Output = "logits";

    /// <summary>Builds the model for <paramref name="imageSize"/>² RGB inputs.</summary>
    public static ModelProto Create(int channels = 16, int classes = 10, int imageSize = 16, int seed = 5)
    {
        var random = new Random(seed);
        var b = new GraphBuilder("biased", random);
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 3, imageSize, imageSize));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));
        var pads = Attributes.Ints("pads", 1, 1, 1, 1);
        var kernel = Attributes.Ints("kernel_shape", 3, 3);

        var stemWeight = b.Constant("stem.weight", [channels, 3, 3, 3], RandomValues.Gaussian(random, channels * 27, MathF.Sqrt(2f / 27)));
        var stem = b.Node("Relu", [b.Node("Conv", [Input, stemWeight, b.Weight("stem.bias", [channels], 0.1f)], name: "stem", attributes: [kernel, pads])]);

        // Per filter: one tap of 1.0 sets the scale (step 1/127); the rest sit in [0, 0.45) steps and all round to zero.
        var taps = channels * 9;
        var weights = new float[channels * taps];
        for (var c = 0; c < channels; c++)
        {
            var share = (float)random.NextDouble();
            for (var t = 0; t < taps; t++)
            {
                weights[(c * taps) + t] = share * 0.45f / 127f * (float)random.NextDouble();
            }

            weights[(c * taps) + random.Next(taps)] = random.Next(2) == 0 ? 1f : -1f;
        }

        var biased = b.Node("Conv", [stem, b.Constant("biased.weight", [channels, channels, 3, 3], weights), b.Weight("biased.bias", [channels], 0.1f)],
            name: "biased", attributes: [kernel, pads]);
        var pooled = b.Node("Flatten", [b.Node("GlobalAveragePool", [b.Node("Relu", [biased])])], Attributes.Int("axis", 1));
        b.Node("Gemm", [pooled, b.Weight("fc.weight", [classes, channels], MathF.Sqrt(1f / channels)), b.Weight("fc.bias", [classes], 0.1f)],
            output: Output, name: "fc", attributes: [Attributes.Int("transB", 1)]);
        return b.Model(13);
    }
}
