namespace Optimizer.Core.Onnx;

/// <summary>Writes a file through a temporary sibling and a rename, so readers see either the old or the new file, never a partial one.</summary>
public static class AtomicFile
{
    /// <summary>Writes the file with <paramref name="write"/>; on any failure the temporary file is removed and the target is untouched.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        StagedFile.RemoveAbandoned(path);
        using var staged = StagedFile.Write(path, write);
        staged.Commit();
    }
}
