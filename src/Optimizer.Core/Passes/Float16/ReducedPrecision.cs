using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>The 16-bit float format a GPU profile converts to.</summary>
public enum ReducedPrecision
{
    /// <summary>IEEE half: 11-bit significand, largest finite value 65504. Every CUDA GPU of the last decade runs it fast.</summary>
    Float16,

    /// <summary>
    /// bfloat16: float32's 8-bit exponent (same range, so no overflow protection is needed) with an 8-bit significand.
    /// Preferred by Ampere and later GPUs and by TPUs for models whose activations exceed float16's range.
    /// </summary>
    Bfloat16,
}

/// <summary>Facts about each <see cref="ReducedPrecision"/> format that the conversion and its verification need.</summary>
public static class ReducedPrecisionFormats
{
    /// <summary>bfloat16's largest finite value (0x7F7F), the largest float32 whose top 16 bits survive rounding.</summary>
    private static readonly float BfloatMax = BitConverter.UInt32BitsToSingle(0x7F7F0000);

    /// <summary>bfloat16's smallest positive subnormal (0x0001).</summary>
    private static readonly float BfloatEpsilon = BitConverter.UInt32BitsToSingle(0x00010000);

    /// <summary>The ONNX element type of the format.</summary>
    public static DataType ElementType(this ReducedPrecision precision) =>
        precision == ReducedPrecision.Bfloat16 ? DataType.Bfloat16 : DataType.Float16;

    /// <summary>The largest finite value the format holds.</summary>
    public static float MaxValue(this ReducedPrecision precision) =>
        precision == ReducedPrecision.Bfloat16 ? BfloatMax : (float)Half.MaxValue;

    /// <summary>The smallest positive value the format holds (a subnormal).</summary>
    public static float SmallestPositive(this ReducedPrecision precision) =>
        precision == ReducedPrecision.Bfloat16 ? BfloatEpsilon : (float)Half.Epsilon;

    /// <summary>
    /// The largest relative error of rounding a value in the format's normal range: half its machine epsilon, 2^-11 for
    /// float16 (10 stored significand bits) and 2^-8 for bfloat16 (7 stored bits).
    /// </summary>
    public static double UnitRoundoff(this ReducedPrecision precision) =>
        precision == ReducedPrecision.Bfloat16 ? 1.0 / 256 : 1.0 / 2048;

    /// <summary>The name used in configuration, notes and tensor names.</summary>
    public static string Name(this ReducedPrecision precision) => precision == ReducedPrecision.Bfloat16 ? "bfloat16" : "float16";

    /// <summary>The float32 value rounded to bfloat16 (round to nearest even, as ONNX Cast does), as its 16 bits.</summary>
    public static ushort ToBfloat16Bits(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040); // keep the sign, force a quiet NaN
        }

        var roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
