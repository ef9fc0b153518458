using System.IO.Compression;
using Optimizer.Core.Config;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// A model's serialized size and its size after gzip, which is what an app package or download actually costs:
/// zeroed weights do not shrink the ONNX file, but they compress.
/// </summary>
public sealed record ModelSizes(long Bytes, long CompressedBytes)
{
    /// <summary>Measures <paramref name="model"/> (serialized in memory, gzip at the optimal level).</summary>
    public static ModelSizes Of(ModelProto model)
    {
        var bytes = ModelFile.ToBytes(model);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return new ModelSizes(bytes.Length, buffer.Length);
    }

    /// <summary>E.g. <c>1.4 MB (gzip 1.3 MB)</c>.</summary>
    public override string ToString() => $"{ConfigValues.FormatSize(Bytes)} (gzip {ConfigValues.FormatSize(CompressedBytes)})";
}
