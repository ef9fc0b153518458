using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// How often each kernel tap of a Conv or ConvTranspose meets real input rather than padding, per output position:
/// for a Conv, the share of output positions at which the tap reads inside the input; for a ConvTranspose, the number
/// of input positions whose contribution through the tap lands inside the output, divided by the output positions.
/// Multiplied by an input channel's mean, it is the mean of what that tap adds to an output channel, which is what
/// <see cref="WeightErrorShifts"/> needs to turn a weight error into a mean output error without running the layer.
/// Sizes and padding come from <see cref="ConvolutionGeometry"/>.
/// </summary>
internal static class ConvolutionTaps
{
    /// <summary>
    /// One value per kernel tap, row-major over <paramref name="kernel"/>, for a <paramref name="node"/> reading input of
    /// spatial size <paramref name="input"/>; null when an attribute is inconsistent with those sizes.
    /// </summary>
    public static double[]? Coverage(NodeProto node, IReadOnlyList<long> kernel, IReadOnlyList<long> input)
    {
        if (IsPointwise(node, kernel))
        {
            return [1.0];
        }

        var rank = kernel.Count;
        if (input.Count != rank)
        {
            return null;
        }

        var perAxis = new double[rank][];
        for (var axis = 0; axis < rank; axis++)
        {
            var counts = Axis(node, kernel, input, axis);
            if (counts is null)
            {
                return null;
            }

            perAxis[axis] = counts;
        }

        // The taps of a kernel are the product of its axes' taps, and so is their coverage.
        var coverage = new double[(int)kernel.Aggregate(1L, (a, b) => a * b)];
        for (var tap = 0; tap < coverage.Length; tap++)
        {
            var (rest, value) = (tap, 1.0);
            for (var axis = rank - 1; axis >= 0; axis--)
            {
                value *= perAxis[axis][rest % kernel[axis]];
                rest /= (int)kernel[axis];
            }

            coverage[tap] = value;
        }

        return coverage;
    }

    /// <summary>
    /// Whether every tap reads real input at every output position whatever the input size: a Conv with a 1x1... kernel
    /// and no padding (its coverage is [1]), the common pointwise layer, which then needs no shape measured.
    /// </summary>
    public static bool IsPointwise(NodeProto node, IReadOnlyList<long> kernel) =>
        node.OpType == "Conv" && kernel.All(k => k == 1) && ConvolutionGeometry.AutoPad(node) is "NOTSET" or "VALID" && (Attributes.Find(node, "pads")?.Ints.All(p => p == 0) ?? true);

    /// <summary>
    /// Per tap of one axis: for a Conv, the share of output positions i with 0 ≤ i·stride + tap·dilation − pad_begin &lt;
    /// input; for a ConvTranspose, the input positions i with 0 ≤ i·stride + tap·dilation − pad_begin &lt; output, per
    /// output position.
    /// </summary>
    private static double[]? Axis(NodeProto node, IReadOnlyList<long> kernel, IReadOnlyList<long> input, int axis)
    {
        if (ConvolutionGeometry.Of(node, kernel[axis], input[axis], axis, kernel.Count) is not var (output, padBegin))
        {
            return null;
        }

        // A Conv maps output positions into the input; a ConvTranspose maps input positions into the output.
        var (positions, limit) = node.OpType == "ConvTranspose" ? (input[axis], output) : (output, input[axis]);
        var (stride, dilation) = (ConvolutionGeometry.Int(node, "strides", axis, 1), ConvolutionGeometry.Int(node, "dilations", axis, 1));
        return Enumerable.Range(0, (int)kernel[axis]).Select(tap => (double)Count(positions, i => (i * stride) + (tap * dilation) - padBegin, limit) / output).ToArray();
    }

    /// <summary>How many of the positions 0..<paramref name="positions"/>-1 map to a coordinate inside [0, <paramref name="limit"/>).</summary>
    private static long Count(long positions, Func<long, long> coordinate, long limit)
    {
        long count = 0;
        for (long i = 0; i < positions; i++)
        {
            var at = coordinate(i);
            if (at >= 0 && at < limit)
            {
                count++;
            }
        }

        return count;
    }
}
