using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Onnx;

/// <summary>
/// A file written completely to a hidden temporary sibling and flushed to disk, waiting to replace its target.
/// Staging several files before committing any (a model and its external data) keeps the window in which a crash
/// leaves them mismatched down to two back-to-back renames. Disposing an uncommitted file deletes the temporary.
/// </summary>
public sealed class StagedFile : IDisposable
{
    private bool _committed;

    private StagedFile(string target, string temporary)
    {
        Target = target;
        Temporary = temporary;
    }

    /// <summary>The file this one replaces on <see cref="Commit"/>.</summary>
    public string Target { get; }

    /// <summary>The hidden sibling holding the new content until <see cref="Commit"/>.</summary>
    public string Temporary { get; }

    /// <summary>Writes the new content of <paramref name="path"/> with <paramref name="write"/> into a temporary sibling.</summary>
    public static StagedFile Write(string path, Action<Stream> write)
    {
        var staged = new StagedFile(path, TemporaryName(path, Environment.ProcessId));
        try
        {
            using (var stream = new FileStream(staged.Temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                WriteInterruption.PauseIfRequested(path);
                stream.Flush(flushToDisk: true);
            }

            return staged;
        }
        catch (Exception ex)
        {
            staged.Dispose();
            throw ex is IOException or UnauthorizedAccessException ? WriteError(path, ex) : ex;
        }
    }

    /// <summary>Moves the new content into place; readers see the old file or the new one, never a mix.</summary>
    public void Commit()
    {
        try
        {
            File.Move(Temporary, Target, overwrite: true);
            _committed = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw WriteError(Target, ex);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_committed)
        {
            TryDelete(Temporary);
        }
    }

    /// <summary>
    /// Deletes temporaries of <paramref name="path"/> left by processes that no longer run (a build killed mid-write),
    /// so interrupted runs do not pile up model-sized hidden files. Files of live processes are left alone.
    /// </summary>
    public static void RemoveAbandoned(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            return;
        }

        var prefix = $".{Path.GetFileName(path)}.";
        foreach (var file in Directory.EnumerateFiles(directory, $"{prefix}*.tmp"))
        {
            var pidText = Path.GetFileName(file)[prefix.Length..].Split('.')[0];
            if (int.TryParse(pidText, out var pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                TryDelete(file);
            }
        }
    }

    private static string TemporaryName(string path, int pid) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{pid}.{Guid.NewGuid():N}.tmp");

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static OptimizerException WriteError(string path, Exception ex) =>
        new(ErrorCodes.OutputWrite, $"Could not write '{path}': {ex.Message}", path, inner: ex);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover hidden .tmp file is harmless (and removed by a later run); the target was never replaced.
        }
    }
}
