using System.Globalization;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// How ops that move or resample data without mixing channels (Transpose, Squeeze, Unsqueeze, Slice, Split,
/// Resize, Upsample) carry a channel layout from their data input to their outputs. Each works as long as it leaves
/// the channel axis alone; when it touches that axis, or its axes are computed at run time, the tracer gets a reason
/// to keep the groups intact instead.
/// </summary>
internal static class AxisMoves
{
    /// <summary>The op types <see cref="Apply"/> understands.</summary>
    public static readonly IReadOnlySet<string> Ops = new HashSet<string>(StringComparer.Ordinal)
    {
        "Transpose", "Squeeze", "Unsqueeze", "Slice", "Split", "Resize", "Upsample",
    };

    /// <summary>
    /// The layout of <paramref name="node"/>'s outputs given its data input's layout <paramref name="x"/>, or null with
    /// <paramref name="reason"/>. <paramref name="constant"/> finds constant inputs (axes, scales); <paramref name="opset"/>
    /// is the model's default-domain opset, which decides where Resize keeps its scales.
    /// </summary>
    public static ChannelLayout? Apply(NodeProto node, ChannelLayout x, Func<string, TensorProto?> constant, long opset, out string? reason)
    {
        reason = null;
        var result = node.OpType switch
        {
            "Transpose" => Transpose(node, x, ref reason),
            "Squeeze" => Squeeze(node, x, constant, ref reason),
            "Unsqueeze" => Unsqueeze(node, x, constant, ref reason),
            "Slice" => KeepsChannelAxis(node, x, SliceAxes(node, constant), "slices", ref reason),
            "Split" => KeepsChannelAxis(node, x, [Attributes.GetInt(node, "axis", 0)], "splits", ref reason),
            _ => Resample(node, x, constant, opset, ref reason),
        };
        return result;
    }

    private static ChannelLayout? Transpose(NodeProto node, ChannelLayout x, ref string? reason)
    {
        var perm = Attributes.Find(node, "perm")?.Ints.ToArray() ?? Enumerable.Range(0, x.Rank).Reverse().Select(i => (long)i).ToArray();
        var axis = Array.IndexOf(perm, (long)x.Axis);
        if (perm.Length != x.Rank || axis < 0)
        {
            reason = $"Transpose '{node.Name}' has a permutation [{string.Join(", ", perm)}] that does not match its rank-{x.Rank} input";
            return null;
        }

        return x with { Axis = axis };
    }

    private static ChannelLayout? Squeeze(NodeProto node, ChannelLayout x, Func<string, TensorProto?> constant, ref string? reason)
    {
        var axes = Ints(node, "axes", 1, constant);
        if (axes is null or { Length: 0 })
        {
            reason = $"Squeeze '{node.Name}' has {(axes is null ? "computed axes" : "no axes (it drops every size-1 dimension)")}, so the channel axis cannot be followed";
            return null;
        }

        var normalized = axes.Select(a => a < 0 ? a + x.Rank : a).ToArray();
        if (normalized.Contains(x.Axis))
        {
            reason = $"Squeeze '{node.Name}' removes the channel axis";
            return null;
        }

        return x with { Axis = x.Axis - normalized.Count(a => a < x.Axis), Rank = x.Rank - normalized.Length };
    }

    private static ChannelLayout? Unsqueeze(NodeProto node, ChannelLayout x, Func<string, TensorProto?> constant, ref string? reason)
    {
        var axes = Ints(node, "axes", 1, constant);
        if (axes is null or { Length: 0 })
        {
            reason = $"Unsqueeze '{node.Name}' has computed axes, so the channel axis cannot be followed";
            return null;
        }

        // Inserted axes are positions in the output; walking them in ascending order shifts the channel axis past each one before it.
        var rank = x.Rank + axes.Length;
        var axis = x.Axis;
        foreach (var inserted in axes.Select(a => a < 0 ? a + rank : a).Order())
        {
            if (inserted <= axis)
            {
                axis++;
            }
        }

        return x with { Axis = axis, Rank = rank };
    }

    /// <summary>Slice axes: the <c>axes</c> input (opset 10+) or attribute (older), defaulting to the first <c>starts.Length</c> axes.</summary>
    private static long[]? SliceAxes(NodeProto node, Func<string, TensorProto?> constant)
    {
        var axes = Ints(node, "axes", 3, constant);
        if (axes is not { Length: 0 })
        {
            return axes;
        }

        var starts = Ints(node, "starts", 1, constant);
        return starts is null ? null : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
    }

    private static ChannelLayout? KeepsChannelAxis(NodeProto node, ChannelLayout x, long[]? axes, string verb, ref string? reason)
    {
        if (axes is null)
        {
            reason = $"{node.OpType} '{node.Name}' {verb} along computed axes";
            return null;
        }

        if (axes.Any(a => (a < 0 ? a + x.Rank : a) == x.Axis))
        {
            reason = $"{node.OpType} '{node.Name}' {verb} the channel axis";
            return null;
        }

        return x;
    }

    /// <summary>Resize/Upsample keep channels when the scale along the channel axis is 1 and no output size is written out.</summary>
    private static ChannelLayout? Resample(NodeProto node, ChannelLayout x, Func<string, TensorProto?> constant, long opset, ref string? reason)
    {
        var sizesInput = node.OpType == "Resize" && opset >= 11 ? 3 : -1;
        if (sizesInput > 0 && node.Input.Count > sizesInput && node.Input[sizesInput].Length > 0)
        {
            reason = $"Resize '{node.Name}' writes out its output sizes, channel count included";
            return null;
        }

        var scalesInput = node.OpType == "Resize" && opset >= 11 ? 2 : 1;
        var scales = Attributes.Find(node, "scales")?.Floats.ToArray()
            ?? (node.Input.Count > scalesInput && constant(node.Input[scalesInput]) is { } tensor ? TensorValues.ReadFloats(tensor) : null);

        // Opset 18 Resize may list the axes its scales apply to; other axes keep their size.
        var axes = Attributes.Find(node, "axes")?.Ints.Select(a => a < 0 ? a + x.Rank : a).ToList();
        var position = axes is null ? x.Axis : axes.IndexOf(x.Axis);
        if (scales is null || (axes is null && scales.Length != x.Rank))
        {
            reason = $"{node.OpType} '{node.Name}' has computed or malformed scales";
            return null;
        }

        if (position >= 0 && scales[position] != 1f)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"{node.OpType} '{node.Name}' scales the channel axis by {scales[position]}");
            return null;
        }

        return x;
    }

    /// <summary>
    /// Integers given as attribute <paramref name="attribute"/> (older opsets) or as constant input <paramref name="input"/>:
    /// empty when neither is given, null when the input is computed.
    /// </summary>
    private static long[]? Ints(NodeProto node, string attribute, int input, Func<string, TensorProto?> constant)
    {
        if (Attributes.Find(node, attribute) is { } found)
        {
            return found.Ints.ToArray();
        }

        if (node.Input.Count <= input || node.Input[input].Length == 0)
        {
            return [];
        }

        return constant(node.Input[input]) is { } tensor ? TensorValues.ReadInt64s(tensor) : null;
    }
}
