using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Loads and saves ONNX models. Loading turns every parse failure into a coded error that names the file;
/// saving writes a temporary file next to the target and moves it into place, so a failed or interrupted run
/// never leaves a half-written model where an app would pick it up.
/// </summary>
public static class ModelFile
{
    /// <summary>Protobuf cannot serialize a message of 2 GB or more; above this, weights go to external data.</summary>
    internal const long ProtobufLimit = int.MaxValue - 64L * 1024 * 1024;

    /// <summary>Reads a model and inlines its external data (refusing paths that escape the model's folder).</summary>
    public static ModelProto Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new OptimizerException(ErrorCodes.ModelNotFound, $"Model file '{fullPath}' does not exist.", fullPath);
        }

        var model = Parse(File.ReadAllBytes(fullPath), fullPath);
        ExternalData.Inline(model, Path.GetDirectoryName(fullPath)!, fullPath);
        return model;
    }

    /// <summary>Parses a serialized model, with a coded error naming <paramref name="origin"/> when the bytes are not ONNX.</summary>
    public static ModelProto Parse(byte[] bytes, string origin)
    {
        if (bytes.Length == 0)
        {
            throw new OptimizerException(ErrorCodes.ModelInvalid, "The model file is empty; expected an ONNX model (protobuf ModelProto).", origin);
        }

        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OptimizerException(ErrorCodes.ModelInvalid,
                $"The file is not a valid ONNX model (truncated or not protobuf): {ex.Message}", origin, inner: ex);
        }

        if (model.Graph is null || model.Graph.Node.Count == 0 || !model.HasIrVersion)
        {
            throw new OptimizerException(ErrorCodes.ModelInvalid,
                "The file parsed as protobuf but is not an ONNX model: it has no IR version or no graph nodes.", origin);
        }

        return model;
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> atomically. Models too large for one protobuf
    /// message get their large weights in a side file <c>&lt;file&gt;.data</c>, written atomically too.
    /// </summary>
    public static void Save(ModelProto model, string path)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);

        if (model.CalculateSize() >= ProtobufLimit)
        {
            model = model.Clone();
            var dataFileName = Path.GetFileName(fullPath) + ".data";
            AtomicFile.Write(Path.Combine(directory, dataFileName), stream => ExternalData.MoveLargeTensorsTo(model, stream, dataFileName));
        }

        AtomicFile.Write(fullPath, stream => model.WriteTo(stream));
    }

    /// <summary>Serializes a model that fits in memory, e.g. to hand it to ONNX Runtime.</summary>
    public static byte[] ToBytes(ModelProto model) => model.ToByteArray();
}
