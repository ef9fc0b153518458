using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.TestModels;

/// <summary>
/// Appends Conv + un-folded BatchNormalization layers to a graph, as PyTorch exports in eval mode write them: weights
/// and BN statistics as initializers (or Constant nodes), a BN with non-trivial mean and variance after every Conv.
/// </summary>
public sealed class ConvBnLayers(GraphProto graph, Random random, bool weightsInConstants = false)
{
    /// <summary>The graph being built.</summary>
    public GraphProto Graph { get; } = graph;

    /// <summary>Conv (no bias, as exports before a BN have) then BatchNormalization; returns the BN output.</summary>
    public string ConvBn(string name, string input, int inChannels, int outChannels, int kernel, int stride = 1, int group = 1)
    {
        var weight = ConvNetModel.RandomTensor(random, $"{name}.weight", [outChannels, inChannels / group, kernel, kernel],
            MathF.Sqrt(2f / (inChannels / group * kernel * kernel)));
        AddWeight(weight);
        var pad = kernel / 2;
        Graph.Node.Add(Nodes.Create("Conv", name, [input, weight.Name], [$"{name}.out"],
            Attributes.Ints("kernel_shape", kernel, kernel), Attributes.Ints("strides", stride, stride),
            Attributes.Ints("pads", pad, pad, pad, pad), Attributes.Int("group", group)));
        return BatchNorm($"{name}.bn", $"{name}.out", outChannels);
    }

    /// <summary>A 1x1 Conv with a bias and no BatchNormalization (a squeeze-and-excitation layer); returns its output.</summary>
    public string Conv(string name, string input, int inChannels, int outChannels)
    {
        var weight = ConvNetModel.RandomTensor(random, $"{name}.weight", [outChannels, inChannels, 1, 1], MathF.Sqrt(2f / inChannels));
        AddWeight(weight);
        Graph.Node.Add(Nodes.Create("Conv", name, [input, weight.Name, Weight($"{name}.bias", [outChannels], 0.1f)], [$"{name}.out"],
            Attributes.Ints("kernel_shape", 1, 1)));
        return $"{name}.out";
    }

    /// <summary>A Gemm (transB) layer with a bias; returns its output.</summary>
    public string Dense(string name, string input, int inFeatures, int outFeatures)
    {
        Graph.Node.Add(Nodes.Create("Gemm", name, [input, Weight($"{name}.weight", [outFeatures, inFeatures], MathF.Sqrt(2f / inFeatures)),
            Weight($"{name}.bias", [outFeatures], 0.1f)], [$"{name}.out"], Attributes.Int("transB", 1)));
        return $"{name}.out";
    }

    /// <summary>A random-normal initializer of standard deviation <paramref name="scale"/>; returns its name.</summary>
    public string Weight(string name, long[] dims, float scale)
    {
        Graph.Initializer.Add(ConvNetModel.RandomTensor(random, name, dims, scale));
        return name;
    }

    /// <summary>An inference-mode BatchNormalization with random (but plausible) statistics; returns its output.</summary>
    public string BatchNorm(string name, string input, int channels)
    {
        var scale = Values(channels, () => 1f + (0.2f * Normal()));
        var shift = Values(channels, () => 0.2f * Normal());
        var mean = Values(channels, () => 0.5f * Normal());
        var variance = Values(channels, () => 0.5f + (float)random.NextDouble() * 1.5f);
        foreach (var (suffix, values) in new[] { ("scale", scale), ("B", shift), ("mean", mean), ("var", variance) })
        {
            Graph.Initializer.Add(TensorValues.FromFloats($"{name}.{suffix}", [channels], values));
        }

        Graph.Node.Add(Nodes.Create("BatchNormalization", name,
            [input, $"{name}.scale", $"{name}.B", $"{name}.mean", $"{name}.var"], [$"{name}.out"], Attributes.Float("epsilon", 1e-5f)));
        return $"{name}.out";
    }

    /// <summary>A one-input node of <paramref name="opType"/> (Relu, HardSwish, ...); returns its output.</summary>
    public string Unary(string opType, string name, string input, params AttributeProto[] attributes)
    {
        Graph.Node.Add(Nodes.Create(opType, name, [input], [$"{name}.out"], attributes));
        return $"{name}.out";
    }

    /// <summary>GlobalAveragePool, Flatten and a Gemm classifier head; returns the logits tensor name.</summary>
    public string Head(string input, int channels, int classes, string output)
    {
        Graph.Node.Add(Nodes.Create("GlobalAveragePool", "gap", [input], ["gap.out"]));
        Graph.Node.Add(Nodes.Create("Flatten", "flatten", ["gap.out"], ["features"], Attributes.Int("axis", 1)));
        Graph.Node.Add(Nodes.Create("Gemm", "fc", ["features", Weight("fc.weight", [classes, channels], MathF.Sqrt(1f / channels)),
            Weight("fc.bias", [classes], 0.1f)], [output], Attributes.Int("transB", 1)));
        return output;
    }

    private void AddWeight(TensorProto weight)
    {
        if (weightsInConstants)
        {
            Graph.Node.Add(Nodes.Create("Constant", $"{weight.Name}.constant", [], [weight.Name], Attributes.Tensor("value", weight)));
        }
        else
        {
            Graph.Initializer.Add(weight);
        }
    }

    private float[] Values(int count, Func<float> next) => Enumerable.Range(0, count).Select(_ => next()).ToArray();

    private float Normal() => TensorValues.ReadFloats(ConvNetModel.RandomTensor(random, "n", [1], 1f))[0];
}
