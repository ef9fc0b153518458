using System.Runtime.InteropServices;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Moves a tensor's values from the typed repeated fields (<c>float_data</c>, <c>int32_data</c>, ...) into
/// <c>raw_data</c>, bit for bit. Only raw data can live in an external-data file, so a large tensor written with typed
/// fields would otherwise keep a model over the 2 GB protobuf limit.
/// </summary>
internal static class RawDataPacking
{
    /// <summary>
    /// Packs <paramref name="tensor"/> into raw data; false (tensor unchanged) when it already is raw or external, or its
    /// element type has no fixed-size little-endian encoding (strings, complex, 4-bit types).
    /// </summary>
    public static bool TryPack(TensorProto tensor)
    {
        if (tensor.HasRawData || tensor.DataLocation == TensorProto.Types.DataLocation.External || !BitConverter.IsLittleEndian)
        {
            return false;
        }

        // int32_data carries every element type narrower than 32 bits (float16/bfloat16 as their bit patterns).
        byte[]? bytes = (DataType)tensor.DataType switch
        {
            DataType.Float => Pack(tensor.FloatData, v => v),
            DataType.Double => Pack(tensor.DoubleData, v => v),
            DataType.Int64 => Pack(tensor.Int64Data, v => v),
            DataType.Uint64 => Pack(tensor.Uint64Data, v => v),
            DataType.Uint32 => Pack(tensor.Uint64Data, v => (uint)v),
            DataType.Int32 => Pack(tensor.Int32Data, v => v),
            DataType.Int16 => Pack(tensor.Int32Data, v => (short)v),
            DataType.Uint16 or DataType.Float16 or DataType.Bfloat16 => Pack(tensor.Int32Data, v => (ushort)v),
            DataType.Int8 => Pack(tensor.Int32Data, v => (sbyte)v),
            DataType.Uint8 => Pack(tensor.Int32Data, v => (byte)v),
            DataType.Bool => Pack(tensor.Int32Data, v => (byte)(v != 0 ? 1 : 0)),
            _ => null,
        };
        if (bytes is null)
        {
            return false;
        }

        tensor.FloatData.Clear();
        tensor.DoubleData.Clear();
        tensor.Int64Data.Clear();
        tensor.Uint64Data.Clear();
        tensor.Int32Data.Clear();
        // The array is ours alone, so wrapping it avoids a second copy of a large tensor.
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
        return true;
    }

    private static byte[] Pack<TField, TRaw>(RepeatedField<TField> field, Func<TField, TRaw> convert)
        where TRaw : unmanaged
    {
        var bytes = new byte[(long)field.Count * Marshal.SizeOf<TRaw>()];
        var values = MemoryMarshal.Cast<byte, TRaw>(bytes.AsSpan());
        for (var i = 0; i < field.Count; i++)
        {
            values[i] = convert(field[i]);
        }

        return bytes;
    }
}
