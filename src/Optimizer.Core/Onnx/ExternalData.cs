using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// ONNX external data: weights stored in side files referenced by <c>location</c>/<c>offset</c>/<c>length</c>.
/// Loading inlines them (after checking that the path stays inside the model's folder); saving moves large
/// tensors back out when the model would not fit in one protobuf message.
/// </summary>
internal static class ExternalData
{
    private const long ExternalizeThreshold = 1024;

    /// <summary>Replaces every external reference in the model (subgraphs included) with the bytes it points to.</summary>
    public static void Inline(ModelProto model, string baseDirectory, string modelPath)
    {
        foreach (var tensor in ModelWalker.AllTensors(model))
        {
            if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
            {
                continue;
            }

            tensor.RawData = ByteString.CopyFrom(ReadReference(tensor, baseDirectory, modelPath));
            tensor.ExternalData.Clear();
            tensor.ClearDataLocation();
        }
    }

    /// <summary>Writes the raw data of large tensors to <paramref name="stream"/> and points the tensors at it.</summary>
    public static void MoveLargeTensorsTo(ModelProto model, Stream stream, string location)
    {
        long offset = 0;
        foreach (var tensor in ModelWalker.AllTensors(model))
        {
            if (!tensor.HasRawData || tensor.RawData.Length < ExternalizeThreshold)
            {
                continue;
            }

            tensor.RawData.WriteTo(stream);
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            offset += tensor.RawData.Length;
            tensor.ClearRawData();
        }
    }

    private static byte[] ReadReference(TensorProto tensor, string baseDirectory, string modelPath)
    {
        var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!entries.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
        {
            throw Error(tensor, "has external data without a location", modelPath);
        }

        var root = Path.GetFullPath(baseDirectory) + Path.DirectorySeparatorChar;
        var file = Path.GetFullPath(Path.Combine(baseDirectory, location));
        if (Path.IsPathRooted(location) || !file.StartsWith(root, StringComparison.Ordinal))
        {
            throw Error(tensor, $"points outside the model's folder ('{location}'); external data must live beside the model", modelPath);
        }

        var info = new FileInfo(file);
        if (!info.Exists)
        {
            throw Error(tensor, $"refers to missing external data file '{file}'", modelPath);
        }

        if (info.LinkTarget is not null && !Path.GetFullPath(info.ResolveLinkTarget(true)!.FullName).StartsWith(root, StringComparison.Ordinal))
        {
            throw Error(tensor, $"refers to '{location}', a link to a file outside the model's folder", modelPath);
        }

        var offset = entries.TryGetValue("offset", out var o) ? ParseLength(o, tensor, modelPath) : 0;
        var length = entries.TryGetValue("length", out var l) ? ParseLength(l, tensor, modelPath) : info.Length - offset;
        if (offset + length > info.Length || length > int.MaxValue)
        {
            throw Error(tensor, $"asks for bytes {offset}..{offset + length} of '{location}', which has {info.Length} bytes", modelPath);
        }

        var bytes = new byte[length];
        using var stream = File.OpenRead(file);
        stream.Seek(offset, SeekOrigin.Begin);
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static long ParseLength(string text, TensorProto tensor, string modelPath) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(tensor, $"has an invalid external data offset/length '{text}'", modelPath);

    private static OptimizerException Error(TensorProto tensor, string problem, string modelPath) =>
        new(ErrorCodes.ExternalData, $"Tensor '{tensor.Name}' {problem}.", modelPath);
}
