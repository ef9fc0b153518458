using System.Globalization;
using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// ONNX external data: weights stored in side files referenced by <c>location</c>/<c>offset</c>/<c>length</c>.
/// Loading inlines them (after checking that the path, symbolic links resolved, stays inside the model's folder);
/// saving moves large tensors out when the model would not fit in one protobuf message.
/// </summary>
internal static class ExternalData
{
    private const long ExternalizeThreshold = 1024;

    // Large tensors start on a 64 KiB boundary (the mapping granularity on every OS) so a runtime can memory-map them.
    private const long AlignThreshold = 1024 * 1024;
    private const long Alignment = 64 * 1024;

    /// <summary>
    /// Replaces every external reference in the model (subgraphs included) with the bytes it points to, and returns
    /// the distinct files read (real paths), which are part of the model's size on disk.
    /// </summary>
    public static IReadOnlyCollection<string> Inline(ModelProto model, string baseDirectory, string modelPath)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        var root = FolderPrefix(RealPath.Of(Path.GetFullPath(baseDirectory)));
        foreach (var tensor in ModelWalker.AllTensors(model))
        {
            if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
            {
                continue;
            }

            // The array is not shared, so wrapping it instead of copying halves the peak for large weights.
            tensor.RawData = UnsafeByteOperations.UnsafeWrap(ReadReference(tensor, baseDirectory, root, modelPath, files));
            tensor.ExternalData.Clear();
            tensor.ClearDataLocation();
        }

        return files;
    }

    /// <summary>The bytes of tensor data held inside the model (raw or typed fields): what external data would move out.</summary>
    public static long RawBytes(ModelProto model) => ModelWalker.AllTensors(model).Sum(InlineBytes);

    /// <summary>
    /// Writes the raw data of large tensors to <paramref name="stream"/> and points the tensors at it. The returned
    /// action puts the data back (no copy: the same buffers), so the caller's model holds the same values after saving;
    /// on failure the data is put back before the exception propagates. Large tensors stored in typed fields are first
    /// packed into raw data for good (<see cref="RawDataPacking"/>): same values, the encoding external data needs.
    /// </summary>
    public static Action MoveLargeTensorsTo(ModelProto model, Stream stream, string location)
    {
        var moved = new List<(TensorProto Tensor, ByteString Data)>();
        void Restore()
        {
            foreach (var (tensor, data) in moved)
            {
                tensor.ExternalData.Clear();
                tensor.ClearDataLocation();
                tensor.RawData = data;
            }
        }

        try
        {
            long offset = 0;
            foreach (var tensor in ModelWalker.AllTensors(model))
            {
                if (!tensor.HasRawData && InlineBytes(tensor) >= ExternalizeThreshold)
                {
                    RawDataPacking.TryPack(tensor);
                }

                if (!tensor.HasRawData || tensor.RawData.Length < ExternalizeThreshold)
                {
                    continue;
                }

                var data = tensor.RawData;
                if (data.Length >= AlignThreshold && offset % Alignment != 0)
                {
                    var padding = Alignment - offset % Alignment;
                    stream.Write(new byte[padding]);
                    offset += padding;
                }

                data.WriteTo(stream);
                moved.Add((tensor, data));
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = data.Length.ToString(CultureInfo.InvariantCulture) });
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ClearRawData();
                offset += data.Length;
            }
        }
        catch
        {
            // A failed write (disk full) must not leave the caller's model pointing at a file that was never committed.
            Restore();
            throw;
        }

        return Restore;
    }

    // A single typed-field tensor fits in one message (it was parsed from one), so CalculateSize cannot wrap for it.
    private static long InlineBytes(TensorProto tensor) =>
        tensor.HasRawData ? tensor.RawData.Length
        : tensor.DataLocation == TensorProto.Types.DataLocation.External ? 0
        : tensor.CalculateSize();

    private static byte[] ReadReference(TensorProto tensor, string baseDirectory, string root, string modelPath, HashSet<string> files)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in tensor.ExternalData)
        {
            entries[entry.Key] = entry.Value;
        }

        if (!entries.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
        {
            throw Error(tensor, "has external data without a location", modelPath);
        }

        if (Path.IsPathRooted(location) || location.Contains('\0'))
        {
            throw Error(tensor, $"points outside the model's folder ('{location}'); external data must live beside the model", modelPath);
        }

        var file = Path.GetFullPath(Path.Combine(baseDirectory, location));
        if (!File.Exists(file))
        {
            throw Error(tensor, $"refers to missing external data file '{file}'", modelPath);
        }

        // Resolve every link on the way (a linked sub-folder too), then compare real paths: '..' and links both escape.
        string real;
        try
        {
            real = RealPath.Of(file);
        }
        catch (IOException ex)
        {
            throw Error(tensor, $"refers to '{location}', whose links cannot be resolved ({ex.Message})", modelPath);
        }

        if (!real.StartsWith(root, StringComparison.Ordinal))
        {
            throw Error(tensor, $"points outside the model's folder ('{location}' is '{real}'); external data must live beside the model", modelPath);
        }

        files.Add(real);
        var info = new FileInfo(real);
        var offset = entries.TryGetValue("offset", out var o) ? ParseLength(o, tensor, modelPath) : 0;
        if (offset > info.Length)
        {
            throw Error(tensor, $"starts at byte {offset} of '{location}', which has {info.Length} bytes", modelPath);
        }

        var length = entries.TryGetValue("length", out var l) ? ParseLength(l, tensor, modelPath) : info.Length - offset;
        if (length > info.Length - offset || length > Array.MaxLength)
        {
            throw Error(tensor, $"asks for bytes {offset}..{offset + length} of '{location}', which has {info.Length} bytes", modelPath);
        }

        var bytes = new byte[length];
        if (length > 0)
        {
            using var stream = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            stream.Seek(offset, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
        }

        return bytes;
    }

    private static string FolderPrefix(string folder) =>
        folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;

    private static long ParseLength(string text, TensorProto tensor, string modelPath) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(tensor, $"has an invalid external data offset/length '{text}'", modelPath);

    private static OptimizerException Error(TensorProto tensor, string problem, string modelPath) =>
        new(ErrorCodes.ExternalData, $"Tensor '{tensor.Name}' {problem}.", modelPath);
}
