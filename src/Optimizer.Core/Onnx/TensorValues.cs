using System.Runtime.InteropServices;
using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Reads and creates the values of <see cref="TensorProto"/>s. The format allows the same values in
/// <c>raw_data</c> (little-endian bytes) or in typed repeated fields; every pass goes through here so that none of
/// them forgets one of the encodings or trusts dims that disagree with the data.
/// </summary>
public static class TensorValues
{
    /// <summary>The number of elements the dims describe (1 for a scalar).</summary>
    public static long ElementCount(IEnumerable<long> dims)
    {
        long count = 1;
        foreach (var dim in dims)
        {
            count = dim < 0 ? -1 : checked(count * dim);
            if (count < 0)
            {
                return -1;
            }
        }

        return count;
    }

    /// <summary>True when the tensor holds floating-point values that <see cref="ReadFloats"/> can read.</summary>
    public static bool IsFloatingPoint(TensorProto tensor) =>
        (DataType)tensor.DataType is DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16;

    /// <summary>The tensor's values as float32, whatever floating-point encoding it uses.</summary>
    public static float[] ReadFloats(TensorProto tensor)
    {
        var count = CheckedCount(tensor);
        var type = (DataType)tensor.DataType;
        float[] values = type switch
        {
            DataType.Float => tensor.HasRawData ? FromRaw<float>(tensor, count) : tensor.FloatData.ToArray(),
            DataType.Double => tensor.HasRawData
                ? Array.ConvertAll(FromRaw<double>(tensor, count), d => (float)d)
                : tensor.DoubleData.Select(d => (float)d).ToArray(),
            DataType.Float16 => tensor.HasRawData
                ? Array.ConvertAll(FromRaw<Half>(tensor, count), h => (float)h)
                : tensor.Int32Data.Select(bits => (float)BitConverter.UInt16BitsToHalf((ushort)bits)).ToArray(),
            DataType.Bfloat16 => tensor.HasRawData
                ? Array.ConvertAll(FromRaw<ushort>(tensor, count), BFloat16ToFloat)
                : tensor.Int32Data.Select(bits => BFloat16ToFloat((ushort)bits)).ToArray(),
            _ => throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Tensor '{tensor.Name}' has element type {type}; a floating-point tensor was expected."),
        };

        if (values.Length != count)
        {
            throw SizeMismatch(tensor, count, values.Length);
        }

        return values;
    }

    /// <summary>
    /// The tensor's values as float32 without copying them when they are float32 raw data (the usual encoding of large
    /// weights); other encodings are read into a new array as by <see cref="ReadFloats"/>. The view aliases the tensor's
    /// bytes: use it before the tensor's data is replaced.
    /// </summary>
    public static ReadOnlySpan<float> Float32View(TensorProto tensor)
    {
        if ((DataType)tensor.DataType != DataType.Float || !tensor.HasRawData)
        {
            return ReadFloats(tensor);
        }

        var count = CheckedCount(tensor);
        var bytes = tensor.RawData.Span;
        if (bytes.Length != count * sizeof(float))
        {
            throw SizeMismatch(tensor, count, bytes.Length / sizeof(float));
        }

        return MemoryMarshal.Cast<byte, float>(bytes);
    }

    /// <summary>
    /// Rewrites a float16 or bfloat16 tensor as float32 in place (same name and dims; every 16-bit value is exactly a
    /// float32, so nothing changes numerically). The float32 bytes are written into one new buffer that becomes the raw
    /// data without a copy: reading the values into a float array and copying that into raw data held three copies of
    /// each weight, which made the float16 verification the peak of the FP16 profile on large models.
    /// </summary>
    public static void WidenToFloat32(TensorProto tensor)
    {
        var type = (DataType)tensor.DataType;
        if (type is not (DataType.Float16 or DataType.Bfloat16))
        {
            throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Tensor '{tensor.Name}' has element type {type}; a float16 or bfloat16 tensor was expected.");
        }

        var count = CheckedCount(tensor);
        if (count > Array.MaxLength / sizeof(float))
        {
            throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Tensor '{tensor.Name}' has {count} values; as float32 it would exceed the largest array .NET can hold.");
        }

        var bytes = new byte[count * sizeof(float)];
        var widened = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
        if (tensor.HasRawData)
        {
            var raw = tensor.RawData.Span;
            if (raw.Length != count * sizeof(ushort))
            {
                throw SizeMismatch(tensor, count, raw.Length / sizeof(ushort));
            }

            var bits = MemoryMarshal.Cast<byte, ushort>(raw);
            for (var i = 0; i < bits.Length; i++)
            {
                widened[i] = Widen(bits[i], type);
            }
        }
        else
        {
            // Without raw data, ONNX stores each 16-bit value's bits in the low half of an int32_data entry.
            if (tensor.Int32Data.Count != count)
            {
                throw SizeMismatch(tensor, count, tensor.Int32Data.Count);
            }

            for (var i = 0; i < widened.Length; i++)
            {
                widened[i] = Widen((ushort)tensor.Int32Data[i], type);
            }
        }

        tensor.Int32Data.Clear();
        tensor.DataType = (int)DataType.Float;
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes); // bytes is never touched again, so sharing it is safe
    }

    /// <summary>The tensor's values as int64 (for shapes, axes and indices stored as INT64 or INT32).</summary>
    public static long[] ReadInt64s(TensorProto tensor)
    {
        var count = CheckedCount(tensor);
        var values = (DataType)tensor.DataType switch
        {
            DataType.Int64 => tensor.HasRawData ? FromRaw<long>(tensor, count) : tensor.Int64Data.ToArray(),
            DataType.Int32 => tensor.HasRawData
                ? Array.ConvertAll(FromRaw<int>(tensor, count), i => (long)i)
                : tensor.Int32Data.Select(i => (long)i).ToArray(),
            var other => throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Tensor '{tensor.Name}' has element type {other}; an integer tensor was expected."),
        };

        if (values.Length != count)
        {
            throw SizeMismatch(tensor, count, values.Length);
        }

        return values;
    }

    /// <summary>A float32 tensor with the given values.</summary>
    public static TensorProto FromFloats(string name, IEnumerable<long> dims, ReadOnlySpan<float> values) =>
        Create(name, DataType.Float, dims, values);

    /// <summary>A float16 tensor holding <paramref name="values"/> rounded to float16.</summary>
    public static TensorProto FromFloatsAsFloat16(string name, IEnumerable<long> dims, ReadOnlySpan<float> values)
    {
        var halves = new Half[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            halves[i] = (Half)values[i];
        }

        return Create<Half>(name, DataType.Float16, dims, halves);
    }

    /// <summary>A tensor of any unmanaged element type stored as little-endian raw data.</summary>
    public static TensorProto Create<T>(string name, DataType type, IEnumerable<long> dims, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; big-endian hosts are not supported.");
        }

        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return tensor;
    }

    private static T[] FromRaw<T>(TensorProto tensor, long count)
        where T : unmanaged
    {
        var bytes = tensor.RawData.Span;
        var size = Marshal.SizeOf<T>();
        if (bytes.Length != count * size)
        {
            throw SizeMismatch(tensor, count, bytes.Length / size);
        }

        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    private static long CheckedCount(TensorProto tensor)
    {
        var count = ElementCount(tensor.Dims);
        if (count < 0 || count > Array.MaxLength)
        {
            throw new OptimizerException(ErrorCodes.ModelInvalid,
                $"Tensor '{tensor.Name}' has invalid dims [{string.Join(", ", tensor.Dims)}].");
        }

        return count;
    }

    private static OptimizerException SizeMismatch(TensorProto tensor, long expected, long actual) =>
        new(ErrorCodes.ModelInvalid,
            $"Tensor '{tensor.Name}' declares dims [{string.Join(", ", tensor.Dims)}] ({expected} elements) but holds {actual} values.");

    private static float BFloat16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    private static float Widen(ushort bits, DataType type) =>
        type == DataType.Bfloat16 ? BFloat16ToFloat(bits) : (float)BitConverter.UInt16BitsToHalf(bits);
}
