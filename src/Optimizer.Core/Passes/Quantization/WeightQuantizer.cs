using System.Numerics.Tensors;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>A weight as symmetric int8 with one scale per channel (or one for the tensor), plus its bias as int32.</summary>
internal sealed record QuantizedWeight(sbyte[] Values, float[] Scales, int[]? Bias, float[]? BiasScales);

/// <summary>
/// Symmetric int8 weight quantization (zero point 0, scale = max|w| / 127 per output channel) and the matching int32
/// bias with scale = input scale x weight scale, the layout ORT's integer kernels consume without requantizing.
/// </summary>
internal static class WeightQuantizer
{
    /// <summary>
    /// Bias values are kept within ±2^30 so the int32 accumulator (bias + sum of products) has headroom; a channel
    /// whose bias would exceed it gets a larger weight scale instead of a clipped bias.
    /// </summary>
    private const float MaxBiasMagnitude = 1 << 30;

    /// <summary>
    /// Quantizes <paramref name="weights"/> of shape <paramref name="dims"/> along <paramref name="axis"/> (-1: per tensor)
    /// to [-<paramref name="weightMax"/>, <paramref name="weightMax"/>], and <paramref name="bias"/> (one value per channel
    /// of the axis) against <paramref name="inputScale"/>.
    /// </summary>
    public static QuantizedWeight Quantize(float[] weights, IReadOnlyList<long> dims, int axis, float[]? bias, float inputScale,
        int weightMax = QuantizationParameters.WeightMax)
    {
        var channels = axis < 0 ? 1 : checked((int)dims[axis]);
        long inner = 1;
        for (var d = axis + 1; axis >= 0 && d < dims.Count; d++)
        {
            inner *= dims[d];
        }

        var scales = ChannelScales(weights, axis, channels, inner, weightMax);
        if (bias is not null)
        {
            for (var i = 0; i < bias.Length; i++)
            {
                var c = channels == 1 ? 0 : i;
                var needed = MathF.Abs(bias[i]) / (inputScale * MaxBiasMagnitude);
                if (float.IsFinite(needed) && scales[c] < needed)
                {
                    scales[c] = needed;
                }
            }
        }

        var values = new sbyte[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            var c = axis < 0 ? 0 : (int)(i / inner % channels);
            values[i] = (sbyte)QuantizationParameters.Quantize(weights[i], scales[c], 0, -weightMax, weightMax);
        }

        if (bias is null)
        {
            return new QuantizedWeight(values, scales, null, null);
        }

        var biasScales = scales.Select(s => inputScale * s).ToArray();
        var biasValues = new int[bias.Length];
        for (var i = 0; i < bias.Length; i++)
        {
            var s = biasScales[channels == 1 ? 0 : i];
            biasValues[i] = (int)Math.Clamp(Math.Round(bias[i] / (double)s, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        }

        return new QuantizedWeight(values, scales, biasValues, biasScales);
    }

    private static float[] ChannelScales(float[] weights, int axis, int channels, long inner, int weightMax)
    {
        var absMax = new float[channels];
        if (axis <= 0 && weights.Length > 0)
        {
            // Channel-major layout (Conv, Gemm with transB): each channel is one contiguous span.
            var span = channels == 1 ? weights.Length : (int)inner;
            for (var c = 0; c < channels; c++)
            {
                absMax[c] = span == 0 ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(weights.AsSpan(c * span, span)));
            }
        }
        else
        {
            for (var i = 0; i < weights.Length; i++)
            {
                var c = (int)(i / inner % channels);
                absMax[c] = MathF.Max(absMax[c], MathF.Abs(weights[i]));
            }
        }

        // An all-zero (or empty) channel gets a tiny positive scale: every weight still quantizes to 0, nothing divides by 0.
        return absMax.Select(m => m / weightMax is var s && s >= QuantizationParameters.TinyScale && float.IsFinite(s)
            ? s : QuantizationParameters.TinyScale).ToArray();
    }
}
