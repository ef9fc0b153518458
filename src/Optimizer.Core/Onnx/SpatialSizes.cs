using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// The spatial size (the dims after batch and channels) of main-graph tensors laid out [batch, channels, spatial...],
/// worked out from the graph inputs' shapes through the ops whose output size follows from their attributes: Conv,
/// ConvTranspose, pooling, element-wise ops (broadcasting, constant operands included), Concat and ops that keep their
/// input's shape. A tensor behind any other op (Reshape, Resize, Slice, ...) is left out, so a caller that needs its
/// size measures it instead; what is listed is exact.
/// </summary>
internal static class SpatialSizes
{
    private static readonly HashSet<string> Pools = new(StringComparer.Ordinal) { "MaxPool", "AveragePool", "LpPool" };

    private static readonly HashSet<string> GlobalPools = new(StringComparer.Ordinal) { "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" };

    private static readonly HashSet<string> ShapeKeeping = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Softplus", "Abs", "Neg",
        "Identity", "BatchNormalization", "InstanceNormalization", "Dropout", "Cast", "Erf", "Sqrt", "Exp", "Gelu",
    };

    private static readonly HashSet<string> ElementWise = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Pow", "PRelu", "Where",
    };

    /// <summary>Spatial sizes by tensor name, from <paramref name="inputShapes"/> (full shapes of rank 3 or more, by graph input name).</summary>
    public static Dictionary<string, long[]> Of(ModelProto model, IReadOnlyDictionary<string, long[]> inputShapes)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var sizes = inputShapes.Where(s => s.Value.Length >= 3).ToDictionary(s => s.Key, s => s.Value[2..], StringComparer.Ordinal);
        // Nodes are in topological order (an ONNX requirement), so every input is settled before its consumers.
        foreach (var node in graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain) && n.Output.Count > 0 && n.Input.Count > 0))
        {
            if (OutputSize(node, sizes, initializers) is { } size)
            {
                sizes[node.Output[0]] = size;
            }
        }

        return sizes;
    }

    private static long[]? OutputSize(NodeProto node, Dictionary<string, long[]> sizes, Dictionary<string, TensorProto> initializers)
    {
        var input = sizes.GetValueOrDefault(node.Input[0]);
        switch (node.OpType)
        {
            case "Conv" or "ConvTranspose" when input is not null:
                return Windowed(node, input, ConvolutionGeometry.Kernel(node, node.Input.Count > 1 ? initializers.GetValueOrDefault(node.Input[1]) : null));
            case var op when Pools.Contains(op) && input is not null:
                return Windowed(node, input, ConvolutionGeometry.Kernel(node, null));
            case var op when GlobalPools.Contains(op) && input is not null:
                return input.Select(_ => 1L).ToArray();
            case var op when ShapeKeeping.Contains(op):
                return input;
            case var op when ElementWise.Contains(op):
                return Broadcast(node, sizes, initializers);
            case "Concat" when node.Input.All(sizes.ContainsKey):
                var axis = Attributes.GetInt(node, "axis", 1);
                var first = sizes[node.Input[0]];
                var spatialAxis = (int)(axis < 0 ? axis + first.Length + 2 : axis) - 2;
                return spatialAxis < 0 ? first
                    : first.Select((d, i) => i == spatialAxis ? node.Input.Sum(n => sizes[n][i]) : d).ToArray();
            default:
                return null;
        }
    }

    private static long[]? Windowed(NodeProto node, long[] input, long[]? kernel)
    {
        if (kernel is null || kernel.Length != input.Length)
        {
            return null;
        }

        var output = new long[input.Length];
        for (var axis = 0; axis < input.Length; axis++)
        {
            if (ConvolutionGeometry.Of(node, kernel[axis], input[axis], axis, input.Length) is not var (size, _))
            {
                return null;
            }

            output[axis] = size;
        }

        return output;
    }

    /// <summary>
    /// Numpy broadcasting over the trailing (spatial) dims: every operand must be a tensor of known size or a constant;
    /// a constant of lower rank aligns to the right. Null when an operand is unknown or the sizes conflict.
    /// </summary>
    private static long[]? Broadcast(NodeProto node, Dictionary<string, long[]> sizes, Dictionary<string, TensorProto> initializers)
    {
        long[]? result = null;
        var constants = new List<IList<long>>();
        foreach (var name in node.Input.Where(n => n.Length > 0))
        {
            if (sizes.TryGetValue(name, out var size))
            {
                result = result is null ? size : Merge(result, size);
                if (result is null)
                {
                    return null;
                }
            }
            else if (initializers.TryGetValue(name, out var constant))
            {
                constants.Add(constant.Dims);
            }
            else
            {
                return null;
            }
        }

        // A constant's trailing dims broadcast against the spatial ones; only its 1s (or equal sizes) keep the size.
        foreach (var dims in constants)
        {
            for (var i = 0; result is not null && i < Math.Min(dims.Count, result.Length); i++)
            {
                var dim = dims[dims.Count - 1 - i];
                if (dim != 1 && dim != result[result.Length - 1 - i])
                {
                    return null;
                }
            }
        }

        return result;
    }

    private static long[]? Merge(long[] a, long[] b)
    {
        if (a.Length != b.Length)
        {
            return null;
        }

        var merged = new long[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i] && a[i] != 1 && b[i] != 1)
            {
                return null;
            }

            merged[i] = Math.Max(a[i], b[i]);
        }

        return merged;
    }
}
