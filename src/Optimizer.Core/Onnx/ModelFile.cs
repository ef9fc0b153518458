using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Loads and saves ONNX models. Loading turns every parse failure into a coded error that names the file and
/// validates the model (<see cref="ModelValidator"/>); saving writes temporary files next to the target and moves
/// them into place, so a failed or interrupted run never leaves a half-written model where an app would pick it up.
/// </summary>
public static class ModelFile
{
    /// <summary>
    /// Protobuf cannot serialize a message of 2 GB or more; models whose serialized size reaches this (64 MB of
    /// headroom for the graph itself) are saved with their weights in external data.
    /// </summary>
    public const long ProtobufLimit = int.MaxValue - 64L * 1024 * 1024;

    /// <summary>Reads a model, inlines its external data (refusing paths that escape the model's folder) and validates it.</summary>
    public static ModelProto Load(string path) => LoadWithSize(path).Model;

    /// <summary>
    /// Like <see cref="Load"/>, also returning the model's size on disk: the model file plus every external-data file it
    /// reads (a <c>long</c>, since models with external data exceed 2 GB).
    /// </summary>
    public static (ModelProto Model, long DiskBytes) LoadWithSize(string path)
    {
        var (model, diskBytes, _) = LoadWithDataFiles(path);
        return (model, diskBytes);
    }

    /// <summary>
    /// Like <see cref="LoadWithSize"/>, also returning the external-data files read (real paths), which a build must
    /// watch beside the model: changed weights in <c>net.onnx.data</c> change the result as much as the model file.
    /// </summary>
    public static (ModelProto Model, long DiskBytes, IReadOnlyCollection<string> DataFiles) LoadWithDataFiles(string path)
    {
        var fullPath = Path.GetFullPath(path);
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            throw new OptimizerException(ErrorCodes.ModelNotFound, $"Model file '{fullPath}' does not exist.", fullPath);
        }

        if (info.Length >= int.MaxValue)
        {
            throw new OptimizerException(ErrorCodes.ModelTooLarge,
                $"The model file is {info.Length / (1024.0 * 1024 * 1024):0.0} GB; one protobuf message cannot exceed 2 GB, so a model this large must keep its weights in external data.", fullPath);
        }

        var model = Parse(ReadAll(fullPath), fullPath);
        var dataFiles = ExternalData.Inline(model, Path.GetDirectoryName(fullPath)!, fullPath);
        ModelValidator.Validate(model, fullPath);
        return (model, info.Length + dataFiles.Sum(file => new FileInfo(file).Length), dataFiles);
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
            // Google.Protobuf bounds nesting (100 levels) and checks every length prefix against the bytes present,
            // so deep recursion or a 2 GB length claim fails here without a stack overflow or a huge allocation.
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
    /// Environment variable holding a size in bytes from which models are written with external data (capped at
    /// <see cref="ProtobufLimit"/>): lets tests exercise the large-model path with small models, and lets users get
    /// weights in a side file (which ONNX Runtime can memory-map) below 2 GB.
    /// </summary>
    public const string ExternalDataAboveVariable = "OPTIMIZER_EXTERNAL_DATA_ABOVE";

    /// <summary>The serialized size from which models are saved with external data: <see cref="ExternalDataAboveVariable"/> or <see cref="ProtobufLimit"/>.</summary>
    public static long ExternalDataAbove =>
        long.TryParse(Environment.GetEnvironmentVariable(ExternalDataAboveVariable), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var bytes) ? Math.Min(bytes, ProtobufLimit) : ProtobufLimit;

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> atomically (<see cref="Stage"/> then commit); an
    /// earlier save's files stay in place until the new ones are complete.
    /// </summary>
    public static void Save(ModelProto model, string path, long? externalDataAbove = null)
    {
        using var staged = Stage(model, path, externalDataAbove);
        staged.Commit();
    }

    /// <summary>
    /// Writes <paramref name="model"/> completely beside <paramref name="path"/> without replacing anything yet. Models
    /// whose serialized size reaches <paramref name="externalDataAbove"/> (default <see cref="ExternalDataAbove"/>) get
    /// their large weights in a side file <see cref="DataFilePath"/>. The model holds the same values afterwards.
    /// </summary>
    public static StagedModel Stage(ModelProto model, string path, long? externalDataAbove = null)
    {
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var dataPath = DataFilePath(fullPath);
        StagedFile.RemoveAbandoned(fullPath);
        StagedFile.RemoveAbandoned(dataPath);

        if (!NeedsExternalData(model, externalDataAbove ?? ExternalDataAbove))
        {
            return new StagedModel(StagedFile.Write(fullPath, stream => model.WriteTo(stream)), null, dataPath);
        }

        // Both files are written before either replaces anything: the old model keeps its old data until the commit.
        Action? restore = null;
        StagedFile? data = null;
        try
        {
            data = StagedFile.Write(dataPath, stream => restore = ExternalData.MoveLargeTensorsTo(model, stream, Path.GetFileName(dataPath)));
            return new StagedModel(StagedFile.Write(fullPath, stream => model.WriteTo(stream)), data, dataPath);
        }
        catch
        {
            data?.Dispose();
            throw;
        }
        finally
        {
            restore?.Invoke();
        }
    }

    /// <summary>The external-data side file of the model at <paramref name="modelPath"/>: <c>&lt;file&gt;.data</c>.</summary>
    public static string DataFilePath(string modelPath) => modelPath + ".data";

    /// <summary>The files a saved model consists of: the model and, when it has one, its external-data file.</summary>
    public static IReadOnlyList<string> SavedFiles(string modelPath)
    {
        var data = DataFilePath(modelPath);
        return File.Exists(data) ? [modelPath, data] : [modelPath];
    }

    /// <summary>True when the model is too large to serialize as one message (or reaches <paramref name="threshold"/>).</summary>
    public static bool NeedsExternalData(ModelProto model, long threshold = ProtobufLimit) =>
        // Check tensor bytes first: CalculateSize returns an int and wraps for models over 2 GB.
        ExternalData.RawBytes(model) >= Math.Min(threshold, ProtobufLimit) || model.CalculateSize() >= threshold;

    /// <summary>Serializes a model that fits in one protobuf message, e.g. to hand it to ONNX Runtime.</summary>
    public static byte[] ToBytes(ModelProto model) => model.ToByteArray();

    private static byte[] ReadAll(string fullPath)
    {
        try
        {
            return File.ReadAllBytes(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OptimizerException(ErrorCodes.ModelInvalid, $"The model file could not be read: {ex.Message}", fullPath, inner: ex);
        }
    }
}
