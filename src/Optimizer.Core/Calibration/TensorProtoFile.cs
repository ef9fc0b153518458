using Google.Protobuf;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Reads and writes <c>.pb</c> files holding one serialized ONNX <see cref="TensorProto"/>, the format of the
/// <c>test_data_set_N/input_M.pb</c> files in the ONNX model zoo and of <c>onnx.numpy_helper.from_array</c>.
/// The tensor's own name says which model input it feeds, so zoo test sets load without renaming.
/// </summary>
public static class TensorProtoFile
{
    /// <summary>Reads a file; the tensor is named by its <c>name</c> field, or after the file when that is empty.</summary>
    public static CalibrationTensor Read(string path)
    {
        var fullPath = Path.GetFullPath(path);
        return Read(CalibrationDataErrors.ReadAllBytes(fullPath), Path.GetFileNameWithoutExtension(fullPath), fullPath);
    }

    /// <summary>Reads serialized TensorProto bytes; <paramref name="fallbackName"/> names an unnamed tensor, <paramref name="origin"/> is the file named in errors.</summary>
    public static CalibrationTensor Read(byte[] bytes, string fallbackName, string origin)
    {
        if (bytes.Length == 0)
        {
            throw CalibrationDataErrors.Unreadable(origin, "is empty; expected one serialized ONNX TensorProto.");
        }

        TensorProto tensor;
        try
        {
            tensor = TensorProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw CalibrationDataErrors.Unreadable(origin, $"is not a serialized ONNX TensorProto (truncated or another format): {ex.Message}");
        }

        var type = (DataType)tensor.DataType;
        if (!CalibrationDataArrays.IsSupported(type))
        {
            throw CalibrationDataErrors.Unreadable(origin, $"holds a tensor of element type {type}, which calibration data cannot use; " +
                "supported: FLOAT, DOUBLE, FLOAT16, INT64, INT32, INT16, UINT8, INT8, BOOL.");
        }

        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw CalibrationDataErrors.Unreadable(origin, "keeps its values in external data; save the tensor with its values inline (onnx.numpy_helper.from_array).");
        }

        var count = TensorValues.ElementCount(tensor.Dims);
        if (count < 0 || count > Array.MaxLength)
        {
            throw CalibrationDataErrors.Unreadable(origin, $"declares invalid dims {CalibrationDataArrays.FormatShape(tensor.Dims)}.");
        }

        var data = tensor.HasRawData ? FromRaw(tensor, type, count, origin) : FromTypedField(tensor, type);
        if (data.Length != count)
        {
            throw CalibrationDataErrors.Unreadable(origin, $"declares dims {CalibrationDataArrays.FormatShape(tensor.Dims)} ({count} elements) but holds {data.Length} values; " +
                "the dims disagree with the data.");
        }

        var name = string.IsNullOrEmpty(tensor.Name) ? fallbackName : tensor.Name;
        return new CalibrationTensor(name, type, [.. tensor.Dims], data);
    }

    /// <summary>Writes a calibration tensor as a TensorProto with little-endian raw data, named <see cref="CalibrationTensor.Name"/>.</summary>
    public static void Write(string path, CalibrationTensor tensor)
    {
        var proto = new TensorProto { Name = tensor.Name, DataType = (int)tensor.ElementType };
        proto.Dims.AddRange(tensor.Shape);
        proto.RawData = ByteString.CopyFrom(CalibrationDataArrays.ToLittleEndian(tensor.Data));
        File.WriteAllBytes(path, proto.ToByteArray());
    }

    private static Array FromRaw(TensorProto tensor, DataType type, long count, string origin)
    {
        var bytes = tensor.RawData.Span;
        var size = CalibrationDataArrays.ElementSize(type);
        if (bytes.Length != count * size)
        {
            throw CalibrationDataErrors.Unreadable(origin, $"declares dims {CalibrationDataArrays.FormatShape(tensor.Dims)} ({count} elements of {size} bytes) " +
                $"but its raw data holds {bytes.Length} bytes; the dims disagree with the data.");
        }

        return CalibrationDataArrays.FromLittleEndian(type, bytes);
    }

    // Without raw_data, ONNX stores small integer types, bools and float16 bit patterns widened into int32_data.
    private static Array FromTypedField(TensorProto tensor, DataType type) => type switch
    {
        DataType.Float => tensor.FloatData.ToArray(),
        DataType.Double => tensor.DoubleData.ToArray(),
        DataType.Int64 => tensor.Int64Data.ToArray(),
        DataType.Int32 => tensor.Int32Data.ToArray(),
        DataType.Int16 => tensor.Int32Data.Select(v => (short)v).ToArray(),
        DataType.Uint8 => tensor.Int32Data.Select(v => (byte)v).ToArray(),
        DataType.Int8 => tensor.Int32Data.Select(v => (sbyte)v).ToArray(),
        DataType.Bool => tensor.Int32Data.Select(v => v != 0).ToArray(),
        DataType.Float16 => tensor.Int32Data.Select(v => BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Element type not supported for calibration data."),
    };
}
