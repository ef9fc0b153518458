using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Runtime;

/// <summary>
/// A large model handed to ONNX Runtime as a file with external data, in a private temporary folder deleted on dispose.
/// Serializing it to one byte array instead would fail above 2 GB and hold a second copy of every weight while ORT
/// parses a third; from a file with 64 KiB-aligned external data ORT memory-maps the weights.
/// </summary>
internal sealed class SessionModelFile : IDisposable
{
    private readonly string _folder;

    private SessionModelFile(string folder)
    {
        _folder = folder;
    }

    /// <summary>The model file to open; its weights are in the <c>.data</c> file beside it.</summary>
    public string ModelPath => Path.Combine(_folder, "model.onnx");

    /// <summary>Writes <paramref name="model"/> (left holding the same values) to a new temporary folder.</summary>
    public static SessionModelFile Write(ModelProto model) => Write(model, keepValues: true);

    /// <summary>
    /// Writes <paramref name="model"/> to a new temporary folder and leaves its large tensors pointing at the file, their
    /// bytes dropped: for a model built only to be run (a verification emulation), whose weights would otherwise be held
    /// twice while ORT loads its own copy. The model cannot be used for anything else afterwards.
    /// </summary>
    public static SessionModelFile WriteReleasing(ModelProto model)
    {
        var file = Write(model, keepValues: false);
        // The dropped weights are garbage in the large object heap now; freed before ORT allocates its copy of them.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return file;
    }

    private static SessionModelFile Write(ModelProto model, bool keepValues)
    {
        // Passes leave dead weight-sized arrays in the large object heap, which only a full collection frees; without
        // this, ORT's native allocations for the session pile up on top of them and peak memory doubles.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var file = new SessionModelFile(Directory.CreateTempSubdirectory("optimizer-session-").FullName);
        try
        {
            // No flush to disk: the files live only as long as the session, so the page cache is where ORT maps them from.
            var dataPath = ModelFile.DataFilePath(file.ModelPath);
            Action restore;
            using (var data = new FileStream(dataPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                restore = ExternalData.MoveLargeTensorsTo(model, data, Path.GetFileName(dataPath));
            }

            try
            {
                using var graph = new FileStream(file.ModelPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                model.WriteTo(graph);
            }
            finally
            {
                if (keepValues)
                {
                    restore();
                }
            }

            return file;
        }
        catch (Exception ex)
        {
            file.Dispose();
            throw ex is IOException or UnauthorizedAccessException
                ? new OptimizerException(ErrorCodes.OutputWrite,
                    $"Could not write a temporary copy of the model for ONNX Runtime under '{Path.GetTempPath()}': {ex.Message}", inner: ex)
                : ex;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the OS temp folder is cleaned eventually; the build's outputs are unaffected.
        }
    }
}
