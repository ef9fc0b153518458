using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>A weight as symmetric int8 with one scale per channel (or one for the tensor), plus its bias as int32.</summary>
internal sealed record QuantizedWeight(sbyte[] Values, float[] Scales, int[]? Bias, float[]? BiasScales);

/// <summary>
/// Symmetric int8 weight quantization (zero point 0, scale = max|w| / 127 per output channel) and the matching int32
/// bias with scale = input scale x weight scale, the layout ORT's integer kernels consume without requantizing.
/// Large weights are the bulk of a big model's quantization time, so both passes over them (channel maxima, then
/// rounding) run vectorized on every core, in chunks.
/// </summary>
internal static class WeightQuantizer
{
    /// <summary>
    /// Bias values are kept within ±2^30 so the int32 accumulator (bias + sum of products) has headroom; a channel
    /// whose bias would exceed it gets a larger weight scale instead of a clipped bias.
    /// </summary>
    private const float MaxBiasMagnitude = 1 << 30;

    /// <summary>Elements one thread quantizes at a time: big enough to amortize scheduling, small enough to spread a tensor over every core.</summary>
    private const int ChunkElements = 1 << 16;

    /// <summary>
    /// Quantizes <paramref name="weights"/> of shape <paramref name="dims"/> along <paramref name="axis"/> (-1: per tensor)
    /// to [-<paramref name="weightMax"/>, <paramref name="weightMax"/>], and <paramref name="bias"/> (one value per channel
    /// of the axis) against <paramref name="inputScale"/>.
    /// </summary>
    public static QuantizedWeight Quantize(float[] weights, IReadOnlyList<long> dims, int axis, float[]? bias, float inputScale,
        int weightMax = QuantizationParameters.WeightMax) =>
        Quantize(new FloatArray(weights), dims, axis, bias, inputScale, weightMax);

    /// <summary>
    /// Quantizes the weight tensor <paramref name="weight"/> as <see cref="Quantize(float[], IReadOnlyList{long}, int, float[], float, int)"/>
    /// does; float32 raw data (the usual encoding of large weights) is read where it lies rather than copied into a float array.
    /// </summary>
    public static QuantizedWeight Quantize(TensorProto weight, int axis, float[]? bias, float inputScale, int weightMax)
    {
        if ((DataType)weight.DataType != DataType.Float || !weight.HasRawData)
        {
            return Quantize(TensorValues.ReadFloats(weight), weight.Dims, axis, bias, inputScale, weightMax);
        }

        // The view checks that the bytes match the dims; the values are then read through the tensor's own bytes.
        _ = TensorValues.Float32View(weight);
        return Quantize(new RawFloats(weight.RawData.Memory), weight.Dims, axis, bias, inputScale, weightMax);
    }

    private static QuantizedWeight Quantize<TWeights>(TWeights weights, IReadOnlyList<long> dims, int axis, float[]? bias, float inputScale, int weightMax)
        where TWeights : struct, IWeights
    {
        var layout = ChannelBlocks.Of(weights.Span.Length, dims, axis);
        var scales = ChannelScales(weights, layout, weightMax);
        if (bias is not null)
        {
            for (var i = 0; i < bias.Length; i++)
            {
                var c = layout.Channels == 1 ? 0 : i;
                var needed = MathF.Abs(bias[i]) / (inputScale * MaxBiasMagnitude);
                if (float.IsFinite(needed) && scales[c] < needed)
                {
                    scales[c] = needed;
                }
            }
        }

        var values = QuantizeValues(weights, layout, scales, weightMax);
        if (bias is null)
        {
            return new QuantizedWeight(values, scales, null, null);
        }

        var biasScales = scales.Select(s => inputScale * s).ToArray();
        var biasValues = new int[bias.Length];
        for (var i = 0; i < bias.Length; i++)
        {
            var s = biasScales[layout.Channels == 1 ? 0 : i];
            biasValues[i] = (int)Math.Clamp(Math.Round(bias[i] / (double)s, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        }

        return new QuantizedWeight(values, scales, biasValues, biasScales);
    }

    private static float[] ChannelScales<TWeights>(TWeights weights, ChannelBlocks layout, int weightMax)
        where TWeights : struct, IWeights
    {
        var absMax = new float[layout.Channels];
        if (layout.Inner == 1 && layout.Channels > 1)
        {
            // Channels last (MatMul's [K, N] weight): each row holds one value of every channel, so rows fold into one
            // vector of maxima; every thread folds its own rows, and the threads' vectors fold at the end.
            var rowsPerChunk = Math.Max(1, ChunkElements / layout.Channels);
            var chunks = (int)((layout.Outer + rowsPerChunk - 1) / rowsPerChunk);
            var gate = new object();
            Parallel.For(0, chunks, () => new float[layout.Channels], (chunk, _, local) =>
            {
                var end = Math.Min(layout.Outer, (chunk + 1L) * rowsPerChunk);
                var first = (long)chunk * rowsPerChunk;
                Int8Rounding.FoldColumnMaxima(weights.Span.Slice(checked((int)(first * layout.Channels)), checked((int)((end - first) * layout.Channels))), local);

                return local;
            }, local =>
            {
                lock (gate)
                {
                    Int8Rounding.FoldColumnMaxima(local, absMax);
                }
            });
        }
        else
        {
            // Each channel's values lie in Outer contiguous blocks of Inner values (one block for Conv's channel-major
            // weights and for per-tensor scales): channels are independent, so threads split them.
            Parallel.For(0, layout.Channels, c =>
            {
                var max = 0f;
                for (long o = 0; o < layout.Outer; o++)
                {
                    var block = weights.Span.Slice(checked((int)(((o * layout.Channels) + c) * layout.Inner)), checked((int)layout.Inner));
                    max = MathF.Max(max, Int8Rounding.MaxAbs(block));
                }

                absMax[c] = max;
            });
        }

        // An all-zero (or empty) channel gets a tiny positive scale: every weight still quantizes to 0, nothing divides by 0.
        return absMax.Select(m => m / weightMax is var s && s >= QuantizationParameters.TinyScale && float.IsFinite(s)
            ? s : QuantizationParameters.TinyScale).ToArray();
    }

    /// <summary>
    /// round(w / scale) clamped to ±<paramref name="weightMax"/>, as QuantizeLinear computes it (division, round half to
    /// even), over chunks of the tensor in parallel.
    /// </summary>
    private static sbyte[] QuantizeValues<TWeights>(TWeights weights, ChannelBlocks layout, float[] scales, int weightMax)
        where TWeights : struct, IWeights
    {
        var length = weights.Span.Length;
        var values = new sbyte[length];
        var channelsLast = layout.Inner == 1 && layout.Channels > 1;
        // A chunk of whole rows when channels are last (each row divides by the scale vector), else any run of elements.
        var chunkLength = channelsLast ? Math.Max(1, ChunkElements / layout.Channels) * layout.Channels : ChunkElements;
        var chunks = (int)(((long)length + chunkLength - 1) / chunkLength);
        Parallel.For(0, chunks, chunk =>
        {
            var start = (int)((long)chunk * chunkLength);
            var end = (int)Math.Min(length, (long)start + chunkLength);
            var source = weights.Span;
            if (channelsLast)
            {
                for (var row = start; row < end; row += layout.Channels)
                {
                    Int8Rounding.Quantize(source.Slice(row, layout.Channels), scales, values.AsSpan(row, layout.Channels), weightMax);
                }

                return;
            }

            for (var i = start; i < end;)
            {
                // The run of elements up to the end of the current channel block, all divided by that channel's scale.
                var block = i / layout.Inner;
                var run = (int)Math.Min(end - i, ((block + 1) * layout.Inner) - i);
                Int8Rounding.Quantize(source.Slice(i, run), scales.AsSpan((int)(block % layout.Channels), 1), values.AsSpan(i, run), weightMax);
                i += run;
            }
        });
        return values;
    }

    /// <summary>
    /// Where the weights are read from: a span cannot be captured by the parallel loops, so each loop body asks for it.
    /// A struct constraint keeps the calls direct (no boxing, no interface dispatch) in the loops.
    /// </summary>
    private interface IWeights
    {
        ReadOnlySpan<float> Span { get; }
    }

    private readonly record struct FloatArray(float[] Values) : IWeights
    {
        public ReadOnlySpan<float> Span => Values;
    }

    /// <summary>Float32 values in little-endian raw bytes (a tensor's raw data), read in place.</summary>
    private readonly record struct RawFloats(ReadOnlyMemory<byte> Bytes) : IWeights
    {
        public ReadOnlySpan<float> Span => MemoryMarshal.Cast<byte, float>(Bytes.Span);
    }

    /// <summary>
    /// A weight tensor seen as [Outer, Channels, Inner] around its quantization axis; per-tensor quantization is one
    /// channel holding every value.
    /// </summary>
    private readonly record struct ChannelBlocks(long Outer, int Channels, long Inner)
    {
        public static ChannelBlocks Of(int count, IReadOnlyList<long> dims, int axis)
        {
            if (axis < 0)
            {
                return new ChannelBlocks(1, 1, count);
            }

            long inner = 1;
            for (var d = axis + 1; d < dims.Count; d++)
            {
                inner *= dims[d];
            }

            var channels = checked((int)dims[axis]);
            var outer = channels == 0 || inner == 0 ? 0 : count / (channels * inner);
            return new ChannelBlocks(outer, channels, inner);
        }
    }

    /// <summary>
    /// The per-element loops, as explicit <see cref="Vector{T}"/> code compiled fully optimized on first use: a pass calls
    /// them a few times per model, too few for tiered compilation to promote generic library loops (TensorPrimitives)
    /// before the work is done: unpromoted, those ran about 10x slower on large weights.
    /// </summary>
    private static class Int8Rounding
    {
        /// <summary>Largest |value| of each column of a row-major block with <paramref name="maxima"/>.Length columns, folded into <paramref name="maxima"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void FoldColumnMaxima(ReadOnlySpan<float> rows, Span<float> maxima)
        {
            for (var start = 0; start < rows.Length; start += maxima.Length)
            {
                var row = rows.Slice(start, maxima.Length);
                var i = 0;
                for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector.Max(new Vector<float>(maxima[i..]), Vector.Abs(new Vector<float>(row[i..]))).CopyTo(maxima[i..]);
                }

                for (; i < row.Length; i++)
                {
                    maxima[i] = MathF.Max(maxima[i], MathF.Abs(row[i]));
                }
            }
        }

        /// <summary>Largest |value| of <paramref name="values"/> (0 when empty).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float MaxAbs(ReadOnlySpan<float> values)
        {
            var vector = Vector<float>.Zero;
            var i = 0;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                vector = Vector.Max(vector, Vector.Abs(new Vector<float>(values[i..])));
            }

            var max = 0f;
            for (var lane = 0; lane < Vector<float>.Count; lane++)
            {
                max = MathF.Max(max, vector[lane]);
            }

            for (; i < values.Length; i++)
            {
                max = MathF.Max(max, MathF.Abs(values[i]));
            }

            return max;
        }

        /// <summary>
        /// round(w / s) clamped to ±<paramref name="limit"/> into <paramref name="destination"/>; <paramref name="scales"/>
        /// holds one scale per value, or a single scale for all of them.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Quantize(ReadOnlySpan<float> weights, ReadOnlySpan<float> scales, Span<sbyte> destination, float limit)
        {
            var perValue = scales.Length > 1;
            var (low, high, single) = (new Vector<float>(-limit), new Vector<float>(limit), new Vector<float>(scales[0]));
            var count = Vector<float>.Count;
            var i = 0;
            // Four float vectors narrow to one sbyte vector (int -> short -> sbyte); the values fit, so narrowing is exact.
            for (; i <= weights.Length - (4 * count); i += 4 * count)
            {
                var a = Round(weights, scales, i, perValue, single, low, high);
                var b = Round(weights, scales, i + count, perValue, single, low, high);
                var c = Round(weights, scales, i + (2 * count), perValue, single, low, high);
                var d = Round(weights, scales, i + (3 * count), perValue, single, low, high);
                Vector.Narrow(Vector.Narrow(a, b), Vector.Narrow(c, d)).CopyTo(destination[i..]);
            }

            for (; i < weights.Length; i++)
            {
                var scale = perValue ? scales[i] : scales[0];
                destination[i] = (sbyte)QuantizationParameters.Quantize(weights[i], scale, 0, (int)-limit, (int)limit);
            }
        }

        // Division then round half to even, as QuantizeLinear computes it, so these values match ORT's own.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector<int> Round(ReadOnlySpan<float> weights, ReadOnlySpan<float> scales, int at, bool perValue, Vector<float> single, Vector<float> low, Vector<float> high)
        {
            var quotient = new Vector<float>(weights[at..]) / (perValue ? new Vector<float>(scales[at..]) : single);
            return Vector.ConvertToInt32(Vector.Min(Vector.Max(Vector.Round(quotient), low), high));
        }
    }
}
