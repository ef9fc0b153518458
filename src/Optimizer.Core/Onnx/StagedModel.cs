using System.Security.Cryptography;
using System.Text;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Onnx;

/// <summary>
/// A model written completely beside its target (the model file and, when it has one, its external-data file), not yet
/// visible there. The caller can check its real size on disk (e.g. against a size budget) and then <see cref="Commit"/>
/// it or drop it; disposing an uncommitted model deletes its temporaries, so a failed build leaves the old files alone.
/// </summary>
public sealed class StagedModel : IDisposable
{
    // Longest a commit waits for another process committing the same model (two builds sharing an output folder).
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);

    private readonly StagedFile _model;
    private readonly StagedFile? _data;
    private readonly string _dataPath;

    internal StagedModel(StagedFile model, StagedFile? data, string dataPath)
    {
        _model = model;
        _data = data;
        _dataPath = dataPath;
    }

    /// <summary>The files the committed model consists of: the model and, when it has one, its external-data file.</summary>
    public IReadOnlyList<string> Files => _data is null ? [_model.Target] : [_model.Target, _data.Target];

    /// <summary>The bytes the model takes on disk, external data included (a <c>long</c>: models may exceed 2 GB).</summary>
    public long Bytes => new FileInfo(_model.Temporary).Length + (_data is null ? 0 : new FileInfo(_data.Temporary).Length);

    /// <summary>
    /// Moves the files into place: the data first, so the new model never points at old data. A cross-process lock
    /// keeps two runs writing the same model from interleaving their renames (one's model with the other's data);
    /// the last to commit wins, whole.
    /// </summary>
    public void Commit()
    {
        using var commitLock = AcquireLock(_model.Target);
        _data?.Commit();
        _model.Commit();
        if (_data is null)
        {
            // A side file left by an earlier, larger save is no longer referenced.
            TryDelete(_dataPath);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _data?.Dispose();
        _model.Dispose();
    }

    // The lock file lives in the temp folder, named by the target's path, so output folders hold only models; it is
    // never deleted, because deleting a lock file lets a third process lock a new file while a second holds the old one.
    private static FileStream AcquireLock(string target)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(target)))[..32];
        var path = Path.Combine(Path.GetTempPath(), $"optimizer-commit-{hash}.lock");
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive lock between processes (flock on Unix, a share mode on Windows).
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException ex) when (DateTime.UtcNow < deadline && ex is not FileNotFoundException and not DirectoryNotFoundException)
            {
                Thread.Sleep(50);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new OptimizerException(ErrorCodes.OutputWrite,
                    $"Could not write '{target}': another process kept it locked for {LockTimeout.TotalMinutes:0} minutes, or the lock file '{path}' cannot be created ({ex.Message}).",
                    target, inner: ex);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover side file is unused by the new model (it references none); only disk space is lost.
        }
    }
}
