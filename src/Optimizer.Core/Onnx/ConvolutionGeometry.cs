using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Output size and leading padding along one spatial axis of a Conv, a pooling op or a ConvTranspose, as the ONNX
/// operator definitions give them (pads, auto_pad, strides, dilations, pooling's ceil_mode, ConvTranspose's
/// output_padding and output_shape).
/// </summary>
internal static class ConvolutionGeometry
{
    /// <summary>
    /// Output size and leading padding of <paramref name="node"/> along <paramref name="axis"/>: a ConvTranspose's, or
    /// a Conv's or pooling op's.
    /// </summary>
    public static (long Output, long PadBegin)? Of(NodeProto node, long kernel, long size, int axis, int rank) =>
        node.OpType == "ConvTranspose" ? Transposed(node, kernel, size, axis, rank) : Forward(node, kernel, size, axis, rank);

    /// <summary>
    /// Conv and pooling along <paramref name="axis"/> of <paramref name="rank"/> spatial axes, for a kernel of
    /// <paramref name="kernel"/> and an input of <paramref name="size"/>; null when no output position fits.
    /// </summary>
    public static (long Output, long PadBegin)? Forward(NodeProto node, long kernel, long size, int axis, int rank)
    {
        var (stride, dilation) = (Int(node, "strides", axis, 1), Int(node, "dilations", axis, 1));
        var span = (dilation * (kernel - 1)) + 1;
        long output, padBegin;
        switch (AutoPad(node))
        {
            case "SAME_UPPER" or "SAME_LOWER":
                output = (size + stride - 1) / stride;
                var total = Math.Max(0, ((output - 1) * stride) + span - size);
                padBegin = AutoPad(node) == "SAME_UPPER" ? total / 2 : total - (total / 2);
                break;
            case "VALID":
                (output, padBegin) = (((size - span) / stride) + 1, 0);
                break;
            default:
                padBegin = Int(node, "pads", axis, 0);
                var room = size + padBegin + Int(node, "pads", axis + rank, 0) - span;
                // Pooling's ceil_mode counts a last window that starts inside the padded input but runs past it.
                output = (Attributes.GetInt(node, "ceil_mode", 0) != 0 ? (room + stride - 1) / stride : room / stride) + 1;
                break;
        }

        return output > 0 && stride > 0 ? (output, padBegin) : null;
    }

    /// <summary>ConvTranspose along <paramref name="axis"/> of <paramref name="rank"/> spatial axes; null when the output would be empty.</summary>
    public static (long Output, long PadBegin)? Transposed(NodeProto node, long kernel, long size, int axis, int rank)
    {
        var (stride, dilation) = (Int(node, "strides", axis, 1), Int(node, "dilations", axis, 1));
        var full = (stride * (size - 1)) + Int(node, "output_padding", axis, 0) + (dilation * (kernel - 1)) + 1;
        var autoPad = AutoPad(node);
        var shape = Attributes.Find(node, "output_shape")?.Ints;
        long output, padBegin;
        if (shape is { Count: > 0 } || autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            // output_shape may list the spatial dims only or the whole shape; its last dims are the spatial ones.
            output = shape is { Count: > 0 } ? shape[shape.Count - rank + axis] : size * stride;
            var total = full - output;
            padBegin = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
        }
        else
        {
            padBegin = autoPad == "VALID" ? 0 : Int(node, "pads", axis, 0);
            output = full - padBegin - (autoPad == "VALID" ? 0 : Int(node, "pads", axis + rank, 0));
        }

        return output > 0 && stride > 0 ? (output, padBegin) : null;
    }

    /// <summary>The kernel's spatial size: the kernel_shape attribute, or the weight's dims after the two channel axes.</summary>
    public static long[]? Kernel(NodeProto node, TensorProto? weight) =>
        Attributes.Find(node, "kernel_shape")?.Ints.ToArray() is { Length: > 0 } kernel ? kernel
            : weight is { Dims.Count: >= 3 } ? weight.Dims.Skip(2).ToArray() : null;

    /// <summary>The auto_pad attribute, NOTSET when absent or empty.</summary>
    public static string AutoPad(NodeProto node) => Attributes.Find(node, "auto_pad")?.S.ToStringUtf8() is { Length: > 0 } pad ? pad : "NOTSET";

    /// <summary>Element <paramref name="index"/> of an INTS attribute (strides, pads, ...), or <paramref name="fallback"/>.</summary>
    public static long Int(NodeProto node, string name, int index, long fallback) =>
        Attributes.Find(node, name)?.Ints is { } values && index < values.Count ? values[index] : fallback;
}
