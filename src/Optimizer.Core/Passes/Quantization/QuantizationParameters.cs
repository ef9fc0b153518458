using Optimizer.Core.Calibration;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>One scale and zero point: <c>real = (q - ZeroPoint) * Scale</c>.</summary>
internal readonly record struct QuantParams(float Scale, int ZeroPoint);

/// <summary>
/// The arithmetic of ONNX linear quantization, kept in one place so activations, constants, weights and bias all round
/// and clamp the same way QuantizeLinear does (round half to even, saturate).
/// </summary>
internal static class QuantizationParameters
{
    /// <summary>
    /// The scale used where a range is empty (all-zero channel, constant tensor of zeros): any positive scale
    /// represents zero exactly, and a tiny one never divides by zero nor distorts a requantization multiplier.
    /// </summary>
    public const float TinyScale = 1e-12f;

    /// <summary>Symmetric int8 weights use [-127, 127] so that negating a weight never saturates.</summary>
    public const int WeightMax = 127;

    /// <summary>
    /// Reduced-range (7-bit) weights use [-64, 64]: without VNNI, x86 sums pairs of uint8 x int8 products in int16,
    /// and 2 x 255 x 64 still fits where 2 x 255 x 127 saturates.
    /// </summary>
    public const int ReducedWeightMax = 64;

    /// <summary>Integer limits of an activation type.</summary>
    public static (int Min, int Max) Limits(ActivationType type) => type == ActivationType.UInt8 ? (0, 255) : (-128, 127);

    /// <summary>
    /// Asymmetric parameters covering <paramref name="range"/> widened to include 0, so that zero (padding, Relu's
    /// floor) is exact: a Relu output gets the type's lowest value as zero point, which lets ORT drop the Relu.
    /// </summary>
    public static QuantParams ForActivation(TensorRange range, ActivationType type)
    {
        var (qmin, qmax) = Limits(type);
        var r = range.IncludingZero();
        if (type == ActivationType.Int8Symmetric)
        {
            // Zero point 0 and ±127 steps (never -128, so the range is the same both ways), as accelerators expect.
            var magnitude = MathF.Max(-r.Min, r.Max);
            r = new TensorRange(-magnitude, magnitude);
            (qmin, qmax) = (-WeightMax, WeightMax);
        }

        var scale = (r.Max - r.Min) / (qmax - qmin);
        if (!float.IsFinite(scale))
        {
            // Ranges wider than float can express saturate instead of producing an infinite scale.
            scale = float.MaxValue / (qmax - qmin);
        }

        if (!(scale >= TinyScale))
        {
            // A tensor that was always zero: any scale represents it; a unit scale keeps later arithmetic ordinary.
            return new QuantParams(1f, 0);
        }

        var zeroPoint = (int)Math.Clamp(MathF.Round(qmin - r.Min / scale, MidpointRounding.ToEven), qmin, qmax);
        return new QuantParams(scale, zeroPoint);
    }

    /// <summary>The values QuantizeLinear with <paramref name="parameters"/> can represent; it saturates the others to its ends.</summary>
    public static TensorRange Represented(QuantParams parameters, ActivationType type)
    {
        var (qmin, qmax) = Limits(type);
        return new TensorRange((qmin - parameters.ZeroPoint) * parameters.Scale, (qmax - parameters.ZeroPoint) * parameters.Scale);
    }

    /// <summary>QuantizeLinear of one value.</summary>
    public static int Quantize(float value, float scale, int zeroPoint, int min, int max) =>
        (int)Math.Clamp(MathF.Round(value / scale, MidpointRounding.ToEven) + zeroPoint, min, max);
}
