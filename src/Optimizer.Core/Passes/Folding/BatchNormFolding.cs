using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Folding;

/// <summary>
/// Folds an inference-mode BatchNormalization into the Conv or ConvTranspose that feeds it: the per-channel affine map
/// <c>y = (x - mean) · scale / √(var + ε) + B</c> becomes scaled weights and a shifted bias. Exporters leave BN
/// unfolded often; quantizing it separately would cost an extra requantization and lose ORT's QLinearConv fusion,
/// and folding first lets the weight scales absorb the BN scale. The model computes the same function afterwards.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// Folds every foldable BatchNormalization in <paramref name="model"/>'s main graph and returns the names of the
    /// BN nodes removed. A BN is foldable when its parameters are float initializers, it has one output (inference
    /// mode) and its input is produced by a Conv/ConvTranspose with float initializer weights that nothing else reads.
    /// </summary>
    public static IReadOnlyList<string> Fold(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.GroupBy(i => i.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var readers = ModelWalker.AllGraphs(model).SelectMany(g => g.Node).SelectMany(n => n.Input)
            .GroupBy(i => i, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (Tensor: o, Node: n)))
            .GroupBy(p => p.Tensor, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Node, StringComparer.Ordinal);
        var names = new UniqueNames(model);
        var folded = new List<string>();
        var replaced = new List<string>();

        foreach (var bn in graph.Node.Where(n => n.OpType == "BatchNormalization" && Opsets.IsDefaultDomain(n.Domain)).ToList())
        {
            if (bn.Input.Count != 5 || bn.Output.Count != 1 || Attributes.GetInt(bn, "training_mode", 0) != 0
                || !producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType is not ("Conv" or "ConvTranspose")
                || !Opsets.IsDefaultDomain(conv.Domain) || conv.Output.Count != 1
                || readers.GetValueOrDefault(conv.Output[0]) != 1 || graphOutputs.Contains(conv.Output[0])
                || FloatInitializer(initializers, conv, 1) is not { } weight
                || bn.Input.Skip(1).Select(i => initializers.GetValueOrDefault(i)).ToList() is not [{ } s, { } b, { } m, { } v]
                || new[] { s, b, m, v }.Any(t => (DataType)t.DataType != DataType.Float))
            {
                continue;
            }

            var channels = OutputChannels(conv, weight);
            var scale = TensorValues.ReadFloats(s);
            var shift = TensorValues.ReadFloats(b);
            var mean = TensorValues.ReadFloats(m);
            var variance = TensorValues.ReadFloats(v);
            var bias = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? FloatInitializer(initializers, conv, 2) : null;
            if (channels is not { } count || new[] { scale, shift, mean, variance }.Any(a => a.Length != count)
                || (conv.Input.Count > 2 && conv.Input[2].Length > 0 && (bias is null || bias.Dims.Count != 1 || bias.Dims[0] != count)))
            {
                continue;
            }

            var epsilon = Attributes.GetFloat(bn, "epsilon", 1e-5f);
            var factor = new float[count];
            for (var c = 0; c < count; c++)
            {
                factor[c] = scale[c] / MathF.Sqrt(variance[c] + epsilon);
            }

            var weights = TensorValues.ReadFloats(weight);
            var channelOf = ChannelIndexer(conv, weight);
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] *= factor[channelOf(i)];
            }

            var oldBias = bias is null ? new float[count] : TensorValues.ReadFloats(bias);
            var newBias = new float[count];
            for (var c = 0; c < count; c++)
            {
                newBias[c] = (oldBias[c] - mean[c]) * factor[c] + shift[c];
            }

            // New initializers, never edits in place: a weight tensor may be shared with other nodes.
            var foldedWeight = TensorValues.FromFloats(names.Take($"{weight.Name}_bn_folded"), weight.Dims, weights);
            var foldedBias = TensorValues.FromFloats(names.Take($"{bias?.Name ?? conv.Output[0] + "_bias"}_bn_folded"), [count], newBias);
            graph.Initializer.Add(foldedWeight);
            graph.Initializer.Add(foldedBias);
            replaced.AddRange(conv.Input.Skip(1).Where(i => i.Length > 0).Concat(bn.Input.Skip(1)));
            conv.Input[1] = foldedWeight.Name;
            if (conv.Input.Count > 2)
            {
                conv.Input[2] = foldedBias.Name;
            }
            else
            {
                conv.Input.Add(foldedBias.Name);
            }

            conv.Output[0] = bn.Output[0];
            graph.Node.Remove(bn);
            folded.Add(bn.Name);
        }

        InitializerCleanup.RemoveUnused(model, graph, replaced.Distinct(StringComparer.Ordinal));
        return folded;
    }

    private static TensorProto? FloatInitializer(Dictionary<string, TensorProto> initializers, NodeProto node, int input) =>
        input < node.Input.Count && initializers.TryGetValue(node.Input[input], out var tensor) && (DataType)tensor.DataType == DataType.Float
            ? tensor : null;

    /// <summary>Conv weights are [M, C/group, k...]; ConvTranspose weights are [C, M/group, k...].</summary>
    private static int? OutputChannels(NodeProto conv, TensorProto weight)
    {
        if (weight.Dims.Count < 3)
        {
            return null;
        }

        var group = Attributes.GetInt(conv, "group", 1);
        return (int)(conv.OpType == "Conv" ? weight.Dims[0] : weight.Dims[1] * group);
    }

    /// <summary>Maps a flat weight index to the output channel it contributes to.</summary>
    private static Func<int, int> ChannelIndexer(NodeProto conv, TensorProto weight)
    {
        var kernel = (int)TensorValues.ElementCount(weight.Dims.Skip(2));
        var dim0 = (int)weight.Dims[0];
        var dim1 = (int)weight.Dims[1];
        if (conv.OpType == "Conv")
        {
            return i => i / (dim1 * kernel);
        }

        // ConvTranspose: input channel ci belongs to group ci / (C/group), whose outputs start at group * (M/group).
        var group = (int)Attributes.GetInt(conv, "group", 1);
        var inputsPerGroup = dim0 / group;
        return i =>
        {
            var inputChannel = i / (dim1 * kernel);
            var j = i / kernel % dim1;
            return inputChannel / inputsPerGroup * dim1 + j;
        };
    }
}
