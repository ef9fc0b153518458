using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// A numpy dtype string (<c>descr</c> in the .npy header, e.g. <c>&lt;f4</c>) as an ONNX element type plus byte order.
/// </summary>
/// <param name="ElementType">The ONNX element type the dtype holds.</param>
/// <param name="BigEndian">True for <c>&gt;</c> dtypes, whose bytes must be swapped before use.</param>
internal readonly record struct NpyDtype(DataType ElementType, bool BigEndian)
{
    /// <summary>The dtypes the reader accepts, for error messages.</summary>
    public const string SupportedList = "<f4, <f8, <f2, <i8, <i4, <i2, |u1, |i1, |b1";

    /// <summary>Parses a descr; returns false for dtypes calibration data cannot hold (unsigned 16-64 bit, complex, strings, records).</summary>
    public static bool TryParse(string descr, out NpyDtype dtype)
    {
        dtype = default;
        if (descr.Length < 2)
        {
            return false;
        }

        // '|' means byte order does not apply (1-byte types); '=' is native order, which on every supported host is little.
        var order = descr[0];
        var code = order is '<' or '>' or '|' or '=' ? descr[1..] : descr;
        var bigEndian = order == '>';
        DataType? type = code switch
        {
            "f4" => DataType.Float,
            "f8" => DataType.Double,
            "f2" => DataType.Float16,
            "i8" => DataType.Int64,
            "i4" => DataType.Int32,
            "i2" => DataType.Int16,
            "u1" => DataType.Uint8,
            "i1" => DataType.Int8,
            "b1" => DataType.Bool,
            _ => null,
        };
        if (type is null)
        {
            return false;
        }

        dtype = new NpyDtype(type.Value, bigEndian && CalibrationDataArrays.ElementSize(type.Value) > 1);
        return true;
    }

    /// <summary>numpy's name for an element type (<c>float32</c>, <c>int64</c>, ...), for messages that suggest an <c>astype</c> fix.</summary>
    public static string NumpyName(DataType type) => type switch
    {
        DataType.Float => "float32",
        DataType.Double => "float64",
        DataType.Float16 => "float16",
        DataType.Int64 => "int64",
        DataType.Int32 => "int32",
        DataType.Int16 => "int16",
        DataType.Uint8 => "uint8",
        DataType.Int8 => "int8",
        DataType.Bool => "bool",
        _ => type.ToString(),
    };

    /// <summary>The little-endian descr numpy writes for an element type.</summary>
    public static string DescrOf(DataType type) => type switch
    {
        DataType.Float => "<f4",
        DataType.Double => "<f8",
        DataType.Float16 => "<f2",
        DataType.Int64 => "<i8",
        DataType.Int32 => "<i4",
        DataType.Int16 => "<i2",
        DataType.Uint8 => "|u1",
        DataType.Int8 => "|i1",
        DataType.Bool => "|b1",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "No .npy dtype for this element type."),
    };
}
