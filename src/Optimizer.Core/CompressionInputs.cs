using Optimizer.Core.Calibration;

namespace Optimizer.Core;

/// <summary>
/// The files and folders besides the model that one compression read: the compression.yaml layers, the calibration and
/// validation samples (with the folders whose listings chose them) and the model's external data. Build tools watch them
/// to know when a result is stale, and a cache checks them before reusing one, since any of them can change the result.
/// </summary>
public sealed class CompressionInputs
{
    private readonly SortedSet<string> _files = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _folders = new(StringComparer.Ordinal);

    /// <summary>Full paths of the files read, in ordinal order.</summary>
    public IReadOnlyCollection<string> Files => _files;

    /// <summary>Full paths of the folders listed, in ordinal order: adding or removing a file there can change the result.</summary>
    public IReadOnlyCollection<string> Folders => _folders;

    /// <summary>Records files that were read.</summary>
    public void AddFiles(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var file in files)
        {
            _files.Add(Path.GetFullPath(file));
        }
    }

    /// <summary>Records the sample files of a calibration or validation set and the folders they were chosen from.</summary>
    public void Add(CalibrationSet samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        AddFiles(samples.FilesRead);
        foreach (var folder in samples.FoldersListed)
        {
            _folders.Add(Path.GetFullPath(folder));
        }
    }
}
