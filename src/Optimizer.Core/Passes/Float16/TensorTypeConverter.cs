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
    public static (int Clamped, int Flushed) ToReducedPrecision(TensorProto tensor, ReducedPrecision precision)
    {
        var values = TensorValues.ReadFloats(tensor);
        var counts = Saturate(values, precision);
        var converted = Encode(tensor.Name, tensor.Dims, values, precision);
        tensor.FloatData.Clear();
        tensor.DataType = converted.DataType;
        tensor.RawData = converted.RawData;
        return counts;
    }

    /// <summary>The values <see cref="ToReducedPrecision"/> would store for <paramref name="values"/>, read back as float32; the input is not changed.</summary>
    public static float[] Rounded(float[] values, ReducedPrecision precision)
    {
        var saturated = (float[])values.Clone();
        Saturate(saturated, precision);
        return TensorValues.ReadFloats(Encode("rounded", [saturated.Length], saturated, precision));
    }

    /// <summary>Clamps finite values beyond the format's range and lifts nonzero values below its smallest subnormal, in place.</summary>
    private static (int Clamped, int Flushed) Saturate(float[] values, ReducedPrecision precision)
    {
        var (max, smallest) = (precision.MaxValue(), precision.SmallestPositive());
        int clamped = 0, flushed = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var magnitude = MathF.Abs(values[i]);
            if (float.IsFinite(values[i]) && magnitude > max)
            {
                values[i] = MathF.CopySign(max, values[i]);
                clamped++;
            }
            else if (magnitude > 0f && magnitude < smallest)
            {
                values[i] = MathF.CopySign(smallest, values[i]);
                flushed++;
            }
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
        var values = TensorValues.ReadFloats(tensor);
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
