using System.Runtime.InteropServices;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Converts between little-endian element bytes and the typed CLR arrays calibration tensors hold, for every element
/// type ONNX Runtime accepts as a calibration input. The .npy and TensorProto readers share it so both file formats
/// produce exactly the same arrays.
/// </summary>
internal static class CalibrationDataArrays
{
    private static readonly Dictionary<Type, DataType> ArrayTypes = new()
    {
        [typeof(float[])] = DataType.Float,
        [typeof(double[])] = DataType.Double,
        [typeof(Half[])] = DataType.Float16,
        [typeof(long[])] = DataType.Int64,
        [typeof(int[])] = DataType.Int32,
        [typeof(short[])] = DataType.Int16,
        [typeof(byte[])] = DataType.Uint8,
        [typeof(sbyte[])] = DataType.Int8,
        [typeof(bool[])] = DataType.Bool,
    };

    /// <summary>The element types a calibration tensor can hold (those <see cref="Runtime.ModelSession"/> can feed).</summary>
    public static bool IsSupported(DataType type) => ElementSize(type) > 0;

    /// <summary>Bytes per element, or 0 for element types calibration data cannot hold.</summary>
    public static int ElementSize(DataType type) => type switch
    {
        DataType.Float => 4,
        DataType.Double => 8,
        DataType.Float16 => 2,
        DataType.Int64 => 8,
        DataType.Int32 => 4,
        DataType.Int16 => 2,
        DataType.Uint8 or DataType.Int8 or DataType.Bool => 1,
        _ => 0,
    };

    /// <summary>The ONNX element type of a typed array, or null when the array type is not a supported one.</summary>
    public static DataType? ElementTypeOf(Array data) =>
        // Matched on the exact type: the CLR treats byte[] and sbyte[] as each other ('is byte[]' is true for an
        // sbyte[]), so type patterns would feed int8 data as uint8.
        ArrayTypes.TryGetValue(data.GetType(), out var type) ? type : null;

    /// <summary>
    /// Decodes little-endian element bytes; <paramref name="bytes"/> must hold a whole number of elements.
    /// Booleans are normalized (any non-zero byte is true) because a bool array reinterpreted from arbitrary bytes
    /// would hold values the runtime never expects.
    /// </summary>
    public static Array FromLittleEndian(DataType type, ReadOnlySpan<byte> bytes) => type switch
    {
        DataType.Float => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
        DataType.Double => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
        DataType.Float16 => MemoryMarshal.Cast<byte, Half>(bytes).ToArray(),
        DataType.Int64 => MemoryMarshal.Cast<byte, long>(bytes).ToArray(),
        DataType.Int32 => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
        DataType.Int16 => MemoryMarshal.Cast<byte, short>(bytes).ToArray(),
        DataType.Uint8 => bytes.ToArray(),
        DataType.Int8 => MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(),
        DataType.Bool => ToBools(bytes),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Element type not supported for calibration data."),
    };

    /// <summary>The array's elements as little-endian bytes.</summary>
    public static byte[] ToLittleEndian(Array data) => ElementTypeOf(data) switch
    {
        DataType.Float => MemoryMarshal.AsBytes(((float[])data).AsSpan()).ToArray(),
        DataType.Double => MemoryMarshal.AsBytes(((double[])data).AsSpan()).ToArray(),
        DataType.Float16 => MemoryMarshal.AsBytes(((Half[])data).AsSpan()).ToArray(),
        DataType.Int64 => MemoryMarshal.AsBytes(((long[])data).AsSpan()).ToArray(),
        DataType.Int32 => MemoryMarshal.AsBytes(((int[])data).AsSpan()).ToArray(),
        DataType.Int16 => MemoryMarshal.AsBytes(((short[])data).AsSpan()).ToArray(),
        DataType.Uint8 => (byte[])((byte[])data).Clone(),
        DataType.Int8 => MemoryMarshal.AsBytes(((sbyte[])data).AsSpan()).ToArray(),
        DataType.Bool => Array.ConvertAll((bool[])data, b => b ? (byte)1 : (byte)0),
        _ => throw new ArgumentException($"Arrays of {data.GetType().GetElementType()} cannot be written as calibration data.", nameof(data)),
    };

    /// <summary>The shape as text for messages, e.g. <c>[1, 3, 16, 16]</c>.</summary>
    public static string FormatShape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    private static bool[] ToBools(ReadOnlySpan<byte> bytes)
    {
        var result = new bool[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            result[i] = bytes[i] != 0;
        }

        return result;
    }
}
