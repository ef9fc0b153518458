using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Optimizer.Core.Onnx;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Writes numpy <c>.npy</c> files byte-for-byte as <c>np.save</c> does (format version 1, little-endian, C order,
/// header padded to a multiple of 64 bytes), so files made by tests and the sample generator are indistinguishable
/// from ones users make in Python.
/// </summary>
public static class NpyWriter
{
    /// <summary>numpy aligns the data start to 64 bytes so memory-mapped arrays are aligned for any dtype.</summary>
    private const int Alignment = 64;

    /// <summary>The digits numpy reserves for the first dimension so appending rows never needs a longer header.</summary>
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>Writes a calibration tensor's values and shape to <paramref name="path"/>.</summary>
    public static void Write(string path, CalibrationTensor tensor) => Write(path, tensor.Data, tensor.Shape);

    /// <summary>
    /// Writes a typed array (<c>float[]</c>, <c>double[]</c>, <c>Half[]</c>, <c>long[]</c>, <c>int[]</c>, <c>short[]</c>,
    /// <c>byte[]</c>, <c>sbyte[]</c>, <c>bool[]</c>) with the given shape to <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, Array data, IReadOnlyList<long> shape)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(stream, data, shape);
    }

    /// <summary>Writes a typed array with the given shape to a stream.</summary>
    public static void Write(Stream stream, Array data, IReadOnlyList<long> shape)
    {
        var type = CalibrationDataArrays.ElementTypeOf(data)
            ?? throw new ArgumentException($"Arrays of {data.GetType().GetElementType()} cannot be written as .npy calibration data.", nameof(data));
        if (TensorValues.ElementCount(shape) != data.Length)
        {
            throw new ArgumentException(
                $"Shape {CalibrationDataArrays.FormatShape(shape)} describes {TensorValues.ElementCount(shape)} elements but the array holds {data.Length}.", nameof(shape));
        }

        var header = new NpyHeader(NpyDtype.DescrOf(type), FortranOrder: false, [.. shape]).ToPython();

        // numpy leaves room to grow the first dimension in place (GROWTH_AXIS_MAX_DIGITS = 21), then pads with
        // spaces so the data starts on a 64-byte boundary, adding a full 64 when it is already aligned.
        if (shape.Count > 0)
        {
            header += new string(' ', Math.Max(0, GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length));
        }

        const int prefixLength = 10; // magic (6) + version (2) + uint16 header length (2)
        var padding = Alignment - ((prefixLength + header.Length + 1) % Alignment);
        var padded = header + new string(' ', padding) + "\n";

        var prefix = new byte[prefixLength];
        NpyReader.Magic.CopyTo(prefix);
        prefix[6] = 1;
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix.AsSpan(8), checked((ushort)padded.Length));

        stream.Write(prefix);
        stream.Write(Encoding.Latin1.GetBytes(padded));
        stream.Write(CalibrationDataArrays.ToLittleEndian(data));
    }
}
