using System.Text;
using System.Text.RegularExpressions;

namespace ImageClassifier;

/// <summary>Reads the float32 .npy calibration images (numpy's format: magic, header dict, little-endian C-order data).</summary>
internal static partial class NpyFile
{
    /// <summary>The array's values and shape.</summary>
    public static (float[] Data, int[] Shape) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
        {
            throw new InvalidDataException($"{path} is not a .npy file.");
        }

        // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
        var (headerLength, headerStart) = bytes[6] == 1 ? (BitConverter.ToUInt16(bytes, 8), 10) : ((int)BitConverter.ToUInt32(bytes, 8), 12);
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'<f4'") || header.Contains("'fortran_order': True"))
        {
            throw new InvalidDataException($"{path}: only little-endian float32 C-order arrays are supported, got {header.Trim()}.");
        }

        var shape = ShapePattern().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse)
            .ToArray();
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        Buffer.BlockCopy(bytes, headerStart + headerLength, data, 0, data.Length * sizeof(float));
        return (data, shape);
    }

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
