using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Bias correction's shifts without a probe run: a layer is linear in its weights and its input, so the mean output
/// error of its int8 version is E[Wq·Q(x)] − E[W·x] = Wq·E[Q(x)] − W·E[x]. Rounding to nearest averages out, so E[Q(x)] is
/// the mean of the input clipped to its quantized range: the plain mean under min/max ranges, which clip no calibration
/// value. With the means <see cref="LayerInputMeans"/> measures, and for convolutions each kernel tap's share of real
/// (not padding) input, that is one pass over the weights. It assumes each channel's mean is the same at every position,
/// as analytic bias correction does.
/// </summary>
internal static class WeightErrorShifts
{
    /// <summary>
    /// The mean output error per output channel of every weighted layer of <paramref name="build"/> that
    /// <paramref name="means"/> measured, keyed by node name (the same shifts <see cref="BiasCorrection.Shifts"/> takes
    /// from the probe).
    /// </summary>
    public static Dictionary<string, float[]> Of(ModelProto floatModel, QdqBuild build, LayerInputMeans means)
    {
        var floatWeights = floatModel.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var floatNodes = floatModel.Graph.Node.Where(n => n.Name.Length > 0).ToDictionary(n => n.Name, StringComparer.Ordinal);
        var quantized = build.Model.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var shifts = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var slot in build.Plan.Weights)
        {
            var node = slot.Node;
            if (!means.TryGet(node.Name, out var floatMeans, out var clippedMeans, out var coverage) || !floatNodes.TryGetValue(node.Name, out var floatNode)
                || !floatWeights.TryGetValue(floatNode.Input[slot.Input], out var weight)
                || Nodes.Producer(build.Model.Graph, node.Input[slot.Input]) is not { OpType: "DequantizeLinear" } dequantize
                || !quantized.TryGetValue(dequantize.Input[0], out var values) || !quantized.TryGetValue(dequantize.Input[1], out var scales))
            {
                continue;
            }

            var q = values.HasRawData ? MemoryMarshal.Cast<byte, sbyte>(values.RawData.Span) : values.Int32Data.Select(v => (sbyte)v).ToArray();
            var layer = new QuantizedLayer(TensorValues.Float32View(weight), q, TensorValues.ReadFloats(scales), weight.Dims);
            var inputs = new InputMeans(clippedMeans, floatMeans);
            var shift = node.OpType switch
            {
                "Conv" => ConvShift(layer, inputs, coverage!, Attributes.GetInt(node, "group", 1)),
                "ConvTranspose" => TransposedConvShift(layer, inputs, coverage!, Attributes.GetInt(node, "group", 1)),
                _ when node.OpType == "Gemm" && Attributes.GetInt(node, "transB", 0) != 0 => TransposedDenseShift(layer, inputs),
                _ => DenseShift(layer, inputs),
            };
            if (shift is not null && shift.All(float.IsFinite))
            {
                shifts[node.Name] = shift;
            }
        }

        return shifts;
    }

    /// <summary>Conv weight [O, C/group, taps...]: output o reads the input channels of its group, tap t weighted by its coverage.</summary>
    private static float[]? ConvShift(QuantizedLayer layer, InputMeans means, double[] coverage, long group)
    {
        var (outputs, groupInputs, taps) = ((int)layer.Dims[0], (int)layer.Dims[1], coverage.Length);
        if (group <= 0 || outputs % group != 0 || means.Float.Length != groupInputs * group || (long)outputs * groupInputs * taps != layer.Weights.Length)
        {
            return null;
        }

        // What each weight of a group's filters multiplies on average: its input channel's mean times its tap's coverage.
        float[] Multiplied(double[] channelMeans, int g)
        {
            var v = new float[groupInputs * taps];
            for (var c = 0; c < groupInputs; c++)
            {
                for (var t = 0; t < taps; t++)
                {
                    v[(c * taps) + t] = (float)(channelMeans[(g * groupInputs) + c] * coverage[t]);
                }
            }

            return v;
        }

        var groupOutputs = outputs / (int)group;
        var inputs = Enumerable.Range(0, (int)group).Select(g => (Multiplied(means.Clipped, g), Multiplied(means.Float, g))).ToArray();
        return layer.RowShifts(o => inputs[o / groupOutputs]);
    }

    /// <summary>ConvTranspose weight [C, O/group, taps...]: input channel c feeds the outputs of its group.</summary>
    // Compiled optimised at once: the pass calls it too few times for tiered JIT to promote its loops (as WeightQuantizer).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[]? TransposedConvShift(QuantizedLayer layer, InputMeans means, double[] coverage, long group)
    {
        var (inputs, groupOutputs, taps) = ((int)layer.Dims[0], (int)layer.Dims[1], coverage.Length);
        if (group <= 0 || inputs % group != 0 || means.Float.Length != inputs || (long)inputs * groupOutputs * taps != layer.Weights.Length)
        {
            return null;
        }

        var groupInputs = inputs / (int)group;
        var sums = new double[groupOutputs * group];
        for (var c = 0; c < inputs; c++)
        {
            var firstOutput = c / groupInputs * groupOutputs;
            for (var o = 0; o < groupOutputs; o++)
            {
                var start = ((c * groupOutputs) + o) * taps;
                double quantizedSum = 0, floatSum = 0;
                for (var t = 0; t < taps; t++)
                {
                    quantizedSum += layer.Dequantized(start + t, o) * coverage[t];
                    floatSum += layer.Weights[start + t] * coverage[t];
                }

                sums[firstOutput + o] += (quantizedSum * means.Clipped[c]) - (floatSum * means.Float[c]);
            }
        }

        return sums.Select(s => (float)s).ToArray();
    }

    /// <summary>Gemm weight [N, K] (transB): each row is one output's weights over the input features.</summary>
    private static float[]? TransposedDenseShift(QuantizedLayer layer, InputMeans means)
    {
        if (layer.Dims.Count != 2 || means.Float.Length != layer.Dims[1])
        {
            return null;
        }

        var inputs = (means.Clipped.Select(m => (float)m).ToArray(), means.Float.Select(m => (float)m).ToArray());
        return layer.RowShifts(_ => inputs);
    }

    /// <summary>MatMul/Gemm weight [K, N]: output n sums its column's weights times the input feature means.</summary>
    private static float[]? DenseShift(QuantizedLayer layer, InputMeans means)
    {
        if (layer.Dims.Count != 2 || means.Float.Length != layer.Dims[0])
        {
            return null;
        }

        var (inner, outputs) = ((int)layer.Dims[0], (int)layer.Dims[1]);
        var (quantized, floats) = (new double[outputs], new double[outputs]);
        for (var k = 0; k < inner; k++)
        {
            layer.AccumulateRow(k, outputs, means.Clipped[k], means.Float[k], quantized, floats);
        }

        // Per-channel scales run along N here, so they apply once to each column's quantized sum.
        var shift = new float[outputs];
        for (var n = 0; n < outputs; n++)
        {
            shift[n] = (float)((quantized[n] * layer.Scale(n)) - floats[n]);
        }

        return shift;
    }

    /// <summary>A layer's input means as the int8 layer sees them (clipped to the quantized range) and as the float layer does.</summary>
    private sealed record InputMeans(double[] Clipped, double[] Float);

    /// <summary>
    /// A weight, its int8 values and their scales (one, or one per channel of the weight's quantization axis: axis 0 for
    /// Conv and transposed Gemm, where each row is one output channel; the last axis otherwise).
    /// </summary>
    private readonly ref struct QuantizedLayer(ReadOnlySpan<float> weights, ReadOnlySpan<sbyte> values, float[] scales, IList<long> dims)
    {
        public ReadOnlySpan<float> Weights { get; } = weights;

        public IList<long> Dims { get; } = dims;

        private readonly ReadOnlySpan<sbyte> _values = values;

        public float Scale(int channel) => scales.Length == 1 ? scales[0] : scales[channel];

        /// <summary>The dequantized value of element <paramref name="index"/>, whose channel is <paramref name="channel"/>.</summary>
        public float Dequantized(int index, int channel) => _values[index] * Scale(channel);

        /// <summary>Adds row <paramref name="row"/> of q times <paramref name="clipped"/> and of w times <paramref name="mean"/> to the column sums.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void AccumulateRow(int row, int length, double clipped, double mean, Span<double> quantized, Span<double> floats)
        {
            var q = _values.Slice(row * length, length);
            var w = Weights.Slice(row * length, length);
            for (var n = 0; n < length; n++)
            {
                quantized[n] += q[n] * clipped;
                floats[n] += w[n] * mean;
            }
        }

        /// <summary>
        /// Per row o (one output channel, scaled by its own scale): scale · (q · vq) − (w · vf), with the vectors
        /// <paramref name="inputs"/>(o) gives for the quantized and the float side.
        /// </summary>
        public float[] RowShifts(Func<int, (float[] Quantized, float[] Float)> inputs)
        {
            var rows = (int)Dims[0];
            var length = Weights.Length / rows;
            var shift = new float[rows];
            for (var o = 0; o < rows; o++)
            {
                var (vq, vf) = inputs(o);
                var (quantized, floats) = Dot(_values.Slice(o * length, length), Weights.Slice(o * length, length), vq, vf);
                shift[o] = (float)((Scale(o) * quantized) - floats);
            }

            return shift;
        }

        /// <summary>Both q · vq and w · vf in one pass, in double (the difference is what matters, and it is small).</summary>
        // Compiled optimised at once: the pass calls it too few times for tiered JIT to promote its loop.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static (double Quantized, double Floats) Dot(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> w, ReadOnlySpan<float> vq, ReadOnlySpan<float> vf)
        {
            double quantized = 0, floats = 0;
            for (var i = 0; i < vf.Length; i++)
            {
                quantized += q[i] * vq[i];
                floats += w[i] * vf[i];
            }

            return (quantized, floats);
        }
    }
}
