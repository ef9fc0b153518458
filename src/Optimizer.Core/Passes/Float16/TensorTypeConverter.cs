using System.Runtime.InteropServices;
using Google.Protobuf;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>Rewrites stored tensors and declared types from float32 to float16 or bfloat16.</summary>
internal static class TensorTypeConverter
{
    /// <summary>
    /// Converts a float32 tensor to <paramref name="precision"/> in place (same name and dims). Finite values beyond the
    /// format's range are clamped to its largest value rather than becoming infinities, and nonzero values too small for
    /// it become its smallest subnormal rather than 0, because a tiny epsilon turned into 0 makes later divisions and
    /// square roots blow up.
    /// </summary>
    /// <remarks>
    /// Reads the stored float32 bytes in place and writes the 16-bit bytes into one new buffer that becomes the
    /// tensor's raw data without a copy: a weight-sized tensor costs its old bytes plus half of them while it converts,
    /// instead of a float copy, a 16-bit array and a copy of that (the FP16 profile's peak memory on large models).
    /// </remarks>
    public static (int Clamped, int Flushed) ToReducedPrecision(TensorProto tensor, ReducedPrecision precision)
    {
        var values = TensorValues.Float32View(tensor);
        var bytes = new byte[values.Length * sizeof(ushort)];
        var counts = Convert(values, MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan()), precision);
        tensor.FloatData.Clear();
        tensor.DoubleData.Clear();
        tensor.Int32Data.Clear();
        tensor.DataType = (int)precision.ElementType();
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes); // bytes is never touched again, so sharing it is safe
        return counts;
    }

    /// <summary>The values <see cref="ToReducedPrecision"/> would store for <paramref name="values"/>, read back as float32; the input is not changed.</summary>
    public static float[] Rounded(float[] values, ReducedPrecision precision)
    {
        var bits = new ushort[values.Length];
        Convert(values, bits, precision);
        return TensorValues.ReadFloats(TensorValues.Create<ushort>("rounded", precision.ElementType(), [bits.Length], bits));
    }

    /// <summary>
    /// Rounds each value to <paramref name="precision"/> (round to nearest even) into <paramref name="bits"/>, first
    /// clamping finite values beyond the format's range and lifting nonzero values below its smallest subnormal.
    /// </summary>
    private static (int Clamped, int Flushed) Convert(ReadOnlySpan<float> values, Span<ushort> bits, ReducedPrecision precision)
    {
        var (max, smallest) = (precision.MaxValue(), precision.SmallestPositive());
        var bfloat = precision == ReducedPrecision.Bfloat16;
        int clamped = 0, flushed = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var value = values[i];
            var magnitude = MathF.Abs(value);
            if (float.IsFinite(value) && magnitude > max)
            {
                value = MathF.CopySign(max, value);
                clamped++;
            }
            else if (magnitude > 0f && magnitude < smallest)
            {
                value = MathF.CopySign(smallest, value);
                flushed++;
            }

            bits[i] = bfloat ? ReducedPrecisionFormats.ToBfloat16Bits(value) : BitConverter.HalfToUInt16Bits((Half)value);
        }

        return (clamped, flushed);
    }

    /// <summary>A tensor of <paramref name="precision"/> holding <paramref name="values"/> rounded to it.</summary>
    public static TensorProto Encode(string name, IEnumerable<long> dims, float[] values, ReducedPrecision precision) =>
        precision == ReducedPrecision.Bfloat16
            ? TensorValues.Create<ushort>(name, DataType.Bfloat16, dims, Array.ConvertAll(values, ReducedPrecisionFormats.ToBfloat16Bits))
            : TensorValues.FromFloatsAsFloat16(name, dims, values);

    /// <summary>The largest magnitude in a floating-point tensor (0 for an empty one).</summary>
    public static float MaxMagnitude(TensorProto tensor)
    {
        var values = TensorValues.Float32View(tensor);
        return values.Length == 0 ? 0f : MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(values));
    }

    /// <summary>Sets the element type of a tensor value info (inputs, outputs, value_info) when it declares one.</summary>
    public static void SetElementType(ValueInfoProto info, DataType type)
    {
        if (info.Type?.TensorType is { } tensorType)
        {
            tensorType.ElemType = (int)type;
        }
    }

    /// <summary>True when the value info declares a float32 tensor.</summary>
    public static bool IsFloat32(ValueInfoProto info) => info.Type?.TensorType?.ElemType == (int)DataType.Float;
}
