using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Onnx;

/// <summary>Writes a file through a temporary sibling and a rename, so readers see either the old or the new file, never a partial one.</summary>
public static class AtomicFile
{
    /// <summary>Writes the file with <paramref name="write"/>; on any failure the temporary file is removed and the target is untouched.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new OptimizerException(ErrorCodes.OutputWrite, $"Could not write '{path}': {ex.Message}", path, inner: ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover hidden .tmp file is harmless; the real output was never replaced.
        }
    }
}
