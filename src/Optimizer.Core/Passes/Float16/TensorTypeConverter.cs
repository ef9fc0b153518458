using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>Rewrites stored tensors and declared types from float32 to float16.</summary>
internal static class TensorTypeConverter
{
    /// <summary>The smallest positive float16 (a subnormal): nonzero weights below it would silently become 0.</summary>
    private static readonly float SmallestHalf = (float)Half.Epsilon;

    /// <summary>
    /// Converts a float32 tensor to float16 in place (same name and dims). Finite values beyond float16's range are
    /// clamped to ±65504 rather than becoming infinities, and nonzero values too small for float16 become its smallest
    /// subnormal rather than 0, because a tiny epsilon turned into 0 makes later divisions and square roots blow up.
    /// </summary>
    public static (int Clamped, int Flushed) ToFloat16(TensorProto tensor)
    {
        var values = TensorValues.ReadFloats(tensor);
        var halves = new Half[values.Length];
        int clamped = 0, flushed = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var value = values[i];
            var magnitude = MathF.Abs(value);
            if (float.IsFinite(value) && magnitude > (float)Half.MaxValue)
            {
                value = MathF.CopySign((float)Half.MaxValue, value);
                clamped++;
            }
            else if (magnitude > 0f && magnitude < SmallestHalf)
            {
                value = MathF.CopySign(SmallestHalf, value);
                flushed++;
            }

            halves[i] = (Half)value;
        }

        var converted = TensorValues.Create<Half>(tensor.Name, DataType.Float16, tensor.Dims, halves);
        tensor.FloatData.Clear();
        tensor.DataType = (int)DataType.Float16;
        tensor.RawData = converted.RawData;
        return (clamped, flushed);
    }

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
