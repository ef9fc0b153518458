using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Bias correction: quantization errors of a layer's weights (and the clipping of its input) do not average out
/// when inputs have a non-zero mean, so each output channel is shifted by a constant. Subtracting that mean error,
/// measured on calibration data by <see cref="LayerErrorProbe"/>, from the layer's bias removes it at no run-time
/// cost: the bias is folded into the integer kernel either way. Conv, ConvTranspose and Gemm get the shift in their
/// own bias (one is added if missing); a MatMul gets it in the bias of the Add that follows it, as exporters write
/// Linear layers; a MatMul without one is left alone, since a new Add would cost run time.
/// </summary>
internal static class BiasCorrection
{
    /// <summary>
    /// Names of the nodes of <paramref name="floatModel"/> whose bias can absorb a shift: the only layers whose errors
    /// bias correction reads, so the probe need not measure the others when nothing else (the fallback) reads them.
    /// </summary>
    public static IReadOnlySet<string> Correctable(ModelProto floatModel) =>
        floatModel.Graph.Node.Where(n => n.Name.Length > 0 && BiasOf(floatModel.Graph, n) is not null).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The per-channel shifts worth applying: those of weighted layers whose bias can absorb them.</summary>
    public static Dictionary<string, float[]> Shifts(ModelProto floatModel, IReadOnlyList<LayerError> errors)
    {
        var nodes = floatModel.Graph.Node.Where(n => n.Name.Length > 0).ToDictionary(n => n.Name, StringComparer.Ordinal);
        var shifts = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var error in errors)
        {
            if (error.MeanChannelError is { } mean && mean.All(float.IsFinite) && nodes.TryGetValue(error.Node, out var node)
                && BiasOf(floatModel.Graph, node) is not null)
            {
                shifts[error.Node] = mean;
            }
        }

        return shifts;
    }

    /// <summary>
    /// Subtracts each shift from its node's bias in <paramref name="model"/> (a copy of the float model); returns the
    /// names of the biases it replaced, for clean-up once nothing reads them.
    /// </summary>
    public static List<string> Apply(ModelProto model, IEnumerable<KeyValuePair<string, float[]>> shifts)
    {
        var replaced = new List<string>();
        var graph = model.Graph;
        var nodes = graph.Node.Where(n => n.Name.Length > 0).ToDictionary(n => n.Name, StringComparer.Ordinal);
        var names = new UniqueNames(model);
        foreach (var (name, shift) in shifts)
        {
            if (!nodes.TryGetValue(name, out var node) || BiasOf(graph, node) is not { } slot)
            {
                continue;
            }

            var current = slot.Initializer is null ? new float[shift.Length] : TensorValues.ReadFloats(slot.Initializer);
            if (current.Length != shift.Length)
            {
                continue;
            }

            var corrected = current.Select((b, c) => b - shift[c]).ToArray();
            // A fresh initializer per node: the old one may be shared with a layer that is not corrected (or differently).
            var tensor = TensorValues.FromFloats(names.Take($"{name}.corrected_bias"), [shift.Length], corrected);
            graph.Initializer.Add(tensor);
            while (slot.Node.Input.Count <= slot.Input)
            {
                slot.Node.Input.Add("");
            }

            if (slot.Initializer is not null)
            {
                replaced.Add(slot.Initializer.Name);
            }

            slot.Node.Input[slot.Input] = tensor.Name;
        }

        return replaced;
    }

    /// <summary>Where a node's per-channel bias lives (the node and input index, and the current initializer or null if absent).</summary>
    private static (NodeProto Node, int Input, TensorProto? Initializer)? BiasOf(GraphProto graph, NodeProto node)
    {
        switch (node.OpType)
        {
            case "Conv" or "ConvTranspose":
                return node.Input.Count < 3 || node.Input[2].Length == 0 ? (node, 2, null)
                    : ChannelVector(graph, node.Input[2]) is { } convBias ? (node, 2, convBias) : null;
            case "Gemm":
                // Only a plain bias (alpha = beta = 1) is what the quantizer turns into QGemm's int32 bias.
                if (Attributes.GetFloat(node, "alpha", 1f) != 1f || Attributes.GetFloat(node, "beta", 1f) != 1f)
                {
                    return null;
                }

                return node.Input.Count < 3 || node.Input[2].Length == 0 ? (node, 2, null)
                    : ChannelVector(graph, node.Input[2]) is { } gemmBias ? (node, 2, gemmBias) : null;
            case "MatMul":
                var consumers = Nodes.Consumers(graph, node.Output[0]).ToList();
                if (consumers is [{ OpType: "Add" } add] && !graph.Output.Any(o => o.Name == node.Output[0]))
                {
                    var other = add.Input[0] == node.Output[0] ? 1 : 0;
                    return ChannelVector(graph, add.Input[other]) is { } addBias ? (add, other, addBias) : null;
                }

                return null;
            default:
                return null;
        }
    }

    private static TensorProto? ChannelVector(GraphProto graph, string name) =>
        graph.Initializer.FirstOrDefault(i => i.Name == name) is { Dims.Count: 1 } tensor && (DataType)tensor.DataType == DataType.Float ? tensor : null;
}
