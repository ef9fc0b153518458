using System.Buffers.Binary;
using System.Text;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Reads numpy <c>.npy</c> files (format versions 1, 2 and 3) holding one C-ordered numeric array, the format
/// <c>np.save</c> writes. Every malformed file is an <see cref="ErrorCodes.CalibrationUnreadable"/> error naming it,
/// because a silently misread calibration file gives wrong quantization ranges with no visible failure.
/// </summary>
public static class NpyReader
{
    /// <summary>The six bytes every .npy file starts with.</summary>
    internal static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a file; the tensor is named after the file (without extension).</summary>
    public static CalibrationTensor Read(string path)
    {
        var fullPath = Path.GetFullPath(path);
        return Read(CalibrationDataErrors.ReadAllBytes(fullPath), Path.GetFileNameWithoutExtension(fullPath), fullPath);
    }

    /// <summary>Reads .npy bytes; <paramref name="origin"/> is the file named in errors.</summary>
    public static CalibrationTensor Read(ReadOnlySpan<byte> bytes, string name, string origin)
    {
        var (header, dataOffset) = ReadHeader(bytes, origin);
        if (!NpyDtype.TryParse(header.Descr, out var dtype))
        {
            throw CalibrationDataErrors.Unreadable(origin, $"has dtype '{header.Descr}', which calibration data cannot use; supported dtypes: {NpyDtype.SupportedList}. " +
                "Convert the array first, e.g. a.astype(np.float32).");
        }

        // Column-major data only differs from row-major when more than one dimension is longer than 1.
        if (header.FortranOrder && header.Shape.Count(d => d > 1) > 1)
        {
            throw CalibrationDataErrors.Unreadable(origin, "is stored in Fortran (column-major) order, which is not supported; " +
                "save it in C order with np.save(path, np.ascontiguousarray(a)).");
        }

        var count = TensorValues.ElementCount(header.Shape);
        var elementSize = CalibrationDataArrays.ElementSize(dtype.ElementType);
        if (count < 0 || count > Array.MaxLength)
        {
            throw CalibrationDataErrors.Unreadable(origin, $"declares shape {CalibrationDataArrays.FormatShape(header.Shape)}, which is too large to load.");
        }

        var expected = count * elementSize;
        var actual = bytes.Length - dataOffset;
        if (actual < expected)
        {
            throw CalibrationDataErrors.Unreadable(origin, $"is truncated: its header declares shape {CalibrationDataArrays.FormatShape(header.Shape)} of '{header.Descr}' " +
                $"({expected} bytes of data) but only {actual} bytes follow the header. Save the file again.");
        }

        if (actual > expected)
        {
            throw CalibrationDataErrors.Unreadable(origin, $"has {actual} bytes of data but its header declares shape {CalibrationDataArrays.FormatShape(header.Shape)} " +
                $"of '{header.Descr}' ({expected} bytes); the shape disagrees with the data. Save the file again with np.save.");
        }

        var data = bytes.Slice(dataOffset, (int)expected);
        if (dtype.BigEndian)
        {
            data = SwapBytes(data, elementSize);
        }

        return new CalibrationTensor(name, dtype.ElementType, header.Shape, CalibrationDataArrays.FromLittleEndian(dtype.ElementType, data));
    }

    private static (NpyHeader Header, int DataOffset) ReadHeader(ReadOnlySpan<byte> bytes, string origin)
    {
        if (bytes.Length >= Magic.Length && bytes.Length < 10 && bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw CalibrationDataErrors.Unreadable(origin, "is truncated inside its header.");
        }

        if (bytes.Length < 10 || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw CalibrationDataErrors.Unreadable(origin, "is not a .npy file (it does not start with the \\x93NUMPY magic); save arrays with np.save.");
        }

        var major = bytes[6];
        int headerLength, headerStart;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                headerStart = 10;
                break;
            case 2 or 3 when bytes.Length >= 12:
                var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                headerLength = length <= int.MaxValue ? (int)length : int.MaxValue;
                headerStart = 12;
                break;
            case 2 or 3:
                throw CalibrationDataErrors.Unreadable(origin, "is truncated inside its header.");
            default:
                throw CalibrationDataErrors.Unreadable(origin, $"uses .npy format version {major}.{bytes[7]}; versions 1, 2 and 3 are supported.");
        }

        if (headerLength > bytes.Length - headerStart)
        {
            throw CalibrationDataErrors.Unreadable(origin, $"is truncated inside its header ({headerLength} header bytes declared, {bytes.Length - headerStart} present).");
        }

        // Versions 1 and 2 store the header in latin-1; version 3 allows UTF-8 (for non-ASCII field names).
        var encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        var text = encoding.GetString(bytes.Slice(headerStart, headerLength));
        try
        {
            return (NpyHeader.Parse(text.TrimEnd('\n', ' ', '\0')), headerStart + headerLength);
        }
        catch (FormatException ex)
        {
            // Quote only the start of the header: a binary file with the magic could hold anything.
            var quoted = text.Length > 200 ? text[..200] + "..." : text;
            throw CalibrationDataErrors.Unreadable(origin, $"has a malformed header ({ex.Message}): {quoted.Trim()}");
        }
    }

    private static byte[] SwapBytes(ReadOnlySpan<byte> data, int elementSize)
    {
        var swapped = data.ToArray();
        for (var offset = 0; offset < swapped.Length; offset += elementSize)
        {
            swapped.AsSpan(offset, elementSize).Reverse();
        }

        return swapped;
    }
}
