namespace Optimizer.Build;

/// <summary>
/// What one cached result was computed from beyond its key: each file the CLI read and each folder it chose samples
/// from, named relative to the model's folder, with the hash of its content (a folder: of its listing). The key covers
/// what is known before running the CLI; this covers what only the run found out (the YAML's <c>calibration.data</c>
/// folder, external data), as ccache's manifests do for headers. A result is reused only while every entry still holds.
/// </summary>
internal sealed class CacheManifest
{
    private const string Header = "# optimizer cache dependencies v1";
    private const string FileKind = "file";
    private const string FolderKind = "folder";

    private readonly IReadOnlyList<Entry> _entries;

    private CacheManifest(IReadOnlyList<Entry> entries) => _entries = entries;

    /// <summary>The manifest of <paramref name="dependencies"/> as they are on disk now; null when one of them is gone.</summary>
    public static CacheManifest? Record(string modelDirectory, RecordedDependencies dependencies)
    {
        var entries = new List<Entry>();
        foreach (var (kind, path) in dependencies.Files.Select(f => (FileKind, f)).Concat(dependencies.Folders.Select(f => (FolderKind, f))))
        {
            var hash = CurrentHash(kind, path, []);
            if (hash is null)
            {
                return null;
            }

            entries.Add(new Entry(kind, RelativePath.From(modelDirectory, path), hash));
        }

        return new CacheManifest(entries.OrderBy(e => e.Kind, StringComparer.Ordinal).ThenBy(e => e.Path, StringComparer.Ordinal).ToList());
    }

    /// <summary>Parses a stored manifest; null when it is not in this format (written by another version: a miss).</summary>
    public static CacheManifest? Parse(IReadOnlyList<string> lines)
    {
        if (lines.Count == 0 || lines[0] != Header)
        {
            return null;
        }

        var entries = new List<Entry>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var fields = line.Split('\t');
            if (fields.Length != 3 || (fields[0] != FileKind && fields[0] != FolderKind))
            {
                return null;
            }

            entries.Add(new Entry(fields[0], fields[1], fields[2]));
        }

        return new CacheManifest(entries);
    }

    /// <summary>The manifest as stored beside a cached result.</summary>
    public IEnumerable<string> ToLines() => new[] { Header }.Concat(_entries.Select(e => $"{e.Kind}\t{e.Path}\t{e.Hash}"));

    /// <summary>A short name for this set of dependencies and hashes: equal manifests are one variant of a key.</summary>
    public string VariantName() => ContentHash.OfText(string.Join("\n", ToLines())).Substring(0, 16);

    /// <summary>
    /// True when every entry, resolved against <paramref name="modelDirectory"/>, still has the recorded hash.
    /// <paramref name="hashes"/> remembers hashes across the variants of one lookup, so a shared file is read once.
    /// </summary>
    public bool Holds(string modelDirectory, Dictionary<string, string?> hashes) =>
        _entries.All(e => CurrentHash(e.Kind, RelativePath.Resolve(modelDirectory, e.Path), hashes) == e.Hash);

    /// <summary>The dependencies as full paths seen from <paramref name="modelDirectory"/>, for the targets to watch after a cache hit.</summary>
    public RecordedDependencies Resolve(string modelDirectory) => new(
        _entries.Where(e => e.Kind == FileKind).Select(e => RelativePath.Resolve(modelDirectory, e.Path)).ToList(),
        _entries.Where(e => e.Kind == FolderKind).Select(e => RelativePath.Resolve(modelDirectory, e.Path)).ToList());

    private static string? CurrentHash(string kind, string fullPath, Dictionary<string, string?> hashes)
    {
        var id = kind + ":" + fullPath;
        if (!hashes.TryGetValue(id, out var hash))
        {
            hash = kind == FileKind ? ContentHash.OfFile(fullPath) : FolderListing.Hash(fullPath);
            hashes[id] = hash;
        }

        return hash;
    }

    private sealed record Entry(string Kind, string Path, string Hash);
}
