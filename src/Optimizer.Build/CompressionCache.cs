using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;

namespace Optimizer.Build;

/// <summary>
/// A content-addressed store of compression results (<c>CompressModelsCacheDir</c>). The key hashes what is known
/// before compressing (the tool's assemblies, the model, the YAML and calibration files the targets found, the profiles
/// and options); under it, each stored result keeps a <see cref="CacheManifest"/> of the files the CLI reported reading
/// (a YAML <c>calibration.data</c> folder anywhere, validation samples, external data) with their hashes, and is reused
/// only while they all still match. Identical inputs in another target framework, project, branch or checkout reuse the
/// models instead of compressing again; a changed sample anywhere misses. Entries are written to a temporary folder and
/// moved into place, and one key is worked on by one build at a time (an exclusive lock file), so parallel builds
/// (<c>-m</c>, multi-targeting) neither race nor compress twice. Each result's folder timestamp is its last use, which
/// <see cref="CacheEviction"/> orders by to keep the folder under <c>CompressModelsCacheMaxSize</c>.
/// </summary>
internal sealed class CompressionCache(string directory)
{
    private const string EntriesFile = "entries.tsv";
    private const string DependenciesFile = "dependencies.tsv";
    private const string StagingSuffix = ".tmp";
    private const string TombstoneSuffix = ".evicted";
    private static readonly string[] ToolFiles = ["Optimizer.Cli.dll", "Optimizer.Core.dll", "Optimizer.Cli.deps.json"];
    private static readonly string[] ReportExtensions = [".report.json", ".report.md"];

    /// <summary>The cache folder.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>Lets tests evict an entry between two files of a restore, a race real builds hit only rarely.</summary>
    internal Action<string>? BeforeRestoreCopy { get; set; }

    /// <summary>The key of one compression: a SHA-256 over the tool, the inputs' contents and the options.</summary>
    public static string Key(string cliPath, string model, IEnumerable<string> options, IEnumerable<string> dependencies)
    {
        var text = new StringBuilder("optimizer-cache v2\n");
        var toolDirectory = Path.GetDirectoryName(Path.GetFullPath(cliPath))!;
        foreach (var file in ToolFiles.Select(f => Path.Combine(toolDirectory, f)).Where(File.Exists))
        {
            text.Append("tool ").Append(Path.GetFileName(file)).Append(' ').Append(ContentHash.OfFile(file)).Append('\n');
        }

        text.Append("model ").Append(Path.GetExtension(model)).Append(' ').Append(ContentHash.OfFile(model)).Append('\n');
        foreach (var option in options)
        {
            text.Append("option ").Append(option).Append('\n');
        }

        // Dependencies are named relative to the model's folder, so the same layout elsewhere gives the same key.
        var modelDirectory = Path.GetDirectoryName(Path.GetFullPath(model))!;
        foreach (var file in dependencies.Select(Path.GetFullPath).Where(File.Exists).Distinct().OrderBy(f => f, StringComparer.Ordinal))
        {
            text.Append("input ").Append(RelativePath.From(modelDirectory, file)).Append(' ').Append(ContentHash.OfFile(file)).Append('\n');
        }

        return ContentHash.OfText(text.ToString());
    }

    /// <summary>Holds the key's lock until disposed, waiting while another build works on the same key.</summary>
    public IDisposable Lock(string key, TimeSpan timeout)
    {
        // Outside the retry loop: a cache folder that cannot be created is not a lock another build holds.
        System.IO.Directory.CreateDirectory(Directory);
        var waited = TimeSpan.Zero;
        while (true)
        {
            try
            {
                return OpenLock(key);
            }
            catch (IOException) when (waited < timeout)
            {
                Thread.Sleep(200);
                waited += TimeSpan.FromMilliseconds(200);
            }
        }
    }

    /// <summary>The key's lock when no other build holds it, else null; never waits (eviction skips what is in use).</summary>
    public IDisposable? TryLock(string key)
    {
        try
        {
            return OpenLock(key);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Copies a cached result of <paramref name="key"/> whose recorded dependencies, seen from
    /// <paramref name="modelDirectory"/>, still hash the same into <paramref name="outputDirectory"/>, and writes the
    /// outputs list, manifest entries and dependencies list as the CLI would have; null when no such result is cached,
    /// or when it was evicted while being copied (then nothing of it is left in the output folder).
    /// </summary>
    public List<ManifestEntry>? TryRestore(string key, string modelDirectory, string outputDirectory, string outputsList, string manifestEntries, string dependenciesList)
    {
        var hashes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var variant in Variants(key))
        {
            var entryLines = ReadLinesUnlessEvicted(Path.Combine(variant, EntriesFile));
            var manifestLines = ReadLinesUnlessEvicted(Path.Combine(variant, DependenciesFile));
            var cached = entryLines is null ? null : ManifestEntry.ParseAll(entryLines);
            var manifest = manifestLines is null ? null : CacheManifest.Parse(manifestLines);
            if (cached is not null && manifest is not null && manifest.Holds(modelDirectory, hashes))
            {
                MarkUsed(variant);
                return Restore(variant, cached, manifest.Resolve(modelDirectory), outputDirectory, outputsList, manifestEntries, dependenciesList);
            }
        }

        return null;
    }

    /// <summary>
    /// Stores the result the CLI just wrote (its manifest entries, the models they name and their reports) under
    /// <paramref name="key"/>, with the manifest of the files its dependencies list names, and returns the stored
    /// entry's folder. Null when nothing was added: the same result was already stored, or a dependency vanished
    /// meanwhile, since the result could not be matched to what it was computed from.
    /// </summary>
    public string? Store(string key, string modelDirectory, string manifestEntries, string dependenciesList)
    {
        var entries = File.Exists(manifestEntries) ? ManifestEntry.ParseAll(File.ReadAllLines(manifestEntries)) : null;
        var dependencies = RecordedDependencies.Read(dependenciesList);
        var manifest = dependencies is null ? null : CacheManifest.Record(modelDirectory, dependencies);
        if (entries is null || manifest is null)
        {
            return null;
        }

        var final = Path.Combine(Directory, key, manifest.VariantName());
        if (System.IO.Directory.Exists(final))
        {
            return null;
        }

        var staging = $"{final}.{Guid.NewGuid():N}{StagingSuffix}";
        System.IO.Directory.CreateDirectory(staging);
        try
        {
            foreach (var entry in entries)
            {
                foreach (var name in CompanionFiles(Path.GetFileName(entry.Path)))
                {
                    var source = Path.Combine(Path.GetDirectoryName(entry.Path)!, name);
                    if (File.Exists(source))
                    {
                        File.Copy(source, Path.Combine(staging, name));
                    }
                }
            }

            WriteLines(Path.Combine(staging, DependenciesFile), manifest.ToLines());
            // Written last: a variant folder is complete once it has its entries (an interrupted copy never is).
            WriteLines(Path.Combine(staging, EntriesFile), new[] { ManifestEntry.Header }.Concat(entries.Select(e => (e with { Path = Path.GetFileName(e.Path) }).ToLine())));
            System.IO.Directory.Move(staging, final);
            return final;
        }
        finally
        {
            if (System.IO.Directory.Exists(staging))
            {
                System.IO.Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>
    /// Every complete stored result with its size and last use, and the size of everything in the cache folder
    /// (in-progress stores and lock files included, since they take disk space too). Tombstones an interrupted
    /// eviction left behind are deleted on the way: nothing reads them.
    /// </summary>
    public CacheContents Scan()
    {
        var entries = new List<CachedEntry>();
        var root = new DirectoryInfo(Directory);
        var total = SizeOfFiles(root, SearchOption.TopDirectoryOnly);
        foreach (var keyDirectory in SafeSubdirectories(root))
        {
            total += SizeOfFiles(keyDirectory, SearchOption.TopDirectoryOnly);
            foreach (var folder in SafeSubdirectories(keyDirectory))
            {
                if (folder.Name.EndsWith(TombstoneSuffix, StringComparison.Ordinal))
                {
                    DeleteQuietly(folder.FullName);
                    continue;
                }

                var bytes = SizeOfFiles(folder, SearchOption.AllDirectories);
                total += bytes;
                if (IsComplete(folder))
                {
                    entries.Add(new CachedEntry(keyDirectory.Name, folder.FullName, bytes, folder.LastWriteTimeUtc));
                }
            }
        }

        return new CacheContents(entries, total);
    }

    /// <summary>
    /// Removes one stored result unless another build holds its key (<paramref name="heldKey"/> is the one the caller
    /// holds itself). The folder is first renamed to a tombstone, which is atomic: a build looking the key up meanwhile
    /// finds the result whole or not at all, and one already copying it misses (see <see cref="TryRestore"/>). False
    /// when the result was kept: in use, or already gone.
    /// </summary>
    public bool TryEvict(CachedEntry entry, string heldKey)
    {
        var isHeld = entry.Key == heldKey;
        using var keyLock = isHeld ? null : TryLock(entry.Key);
        if (!isHeld && keyLock is null)
        {
            return false;
        }

        var tombstone = $"{entry.Path}.{Guid.NewGuid():N}{TombstoneSuffix}";
        try
        {
            System.IO.Directory.Move(entry.Path, tombstone);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Evicted by another build already, or (Windows) a file in it is open: either way it is not ours to remove.
            return false;
        }

        DeleteQuietly(tombstone);
        var keyDirectory = Path.GetDirectoryName(entry.Path)!;
        if (!System.IO.Directory.EnumerateFileSystemEntries(keyDirectory).Any())
        {
            // The key's lock is held, so no store can be filling this folder; a failure only leaves an empty folder.
            DeleteQuietly(keyDirectory);
        }

        return true;
    }

    // The complete results stored under a key, most recently used first: the latest inputs are the likeliest to come back.
    private IEnumerable<string> Variants(string key)
    {
        var keyDirectory = new DirectoryInfo(Path.Combine(Directory, key));
        return keyDirectory.Exists
            ? SafeSubdirectories(keyDirectory).Where(IsComplete).OrderByDescending(d => d.LastWriteTimeUtc).Select(d => d.FullName)
            : [];
    }

    // Staging and tombstone folders have a dot in their names, variants never do (16 hex digits).
    private static bool IsComplete(DirectoryInfo folder) =>
        folder.Name.IndexOf('.') < 0 && File.Exists(Path.Combine(folder.FullName, EntriesFile)) && File.Exists(Path.Combine(folder.FullName, DependenciesFile));

    // The folder's timestamp is the entry's last use, which eviction orders by; a read-only shared cache still serves
    // hits, it just cannot record them.
    private static void MarkUsed(string variant)
    {
        try
        {
            System.IO.Directory.SetLastWriteTimeUtc(variant, DateTime.UtcNow);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private List<ManifestEntry>? Restore(
        string variant, List<ManifestEntry> cached, RecordedDependencies dependencies, string outputDirectory, string outputsList, string manifestEntries, string dependenciesList)
    {
        // What the entry holds, listed once: a listed file gone when copied means the entry was evicted meanwhile.
        var stored = ReadFileNamesUnlessEvicted(variant);
        if (stored is null || cached.Any(e => !stored.Contains(e.Path)))
        {
            return null;
        }

        System.IO.Directory.CreateDirectory(outputDirectory);
        var copied = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var name in cached.SelectMany(e => CompanionFiles(e.Path)).Where(stored.Contains))
            {
                BeforeRestoreCopy?.Invoke(name);
                var target = Path.Combine(outputDirectory, name);
                File.Copy(Path.Combine(variant, name), target, overwrite: true);
                copied.Add(target);
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Evicted mid-copy: a miss, and no part of the result is left to be taken for the whole of it.
            foreach (var file in copied)
            {
                File.Delete(file);
            }

            return null;
        }

        var restored = cached.Select(e => e with { Path = Path.Combine(outputDirectory, e.Path) }).ToList();
        var written = restored.SelectMany(e => new[] { e.Path, ExternalDataFile(e.Path) }).Where(copied.Contains);

        // Like the CLI: the dependencies before the outputs list, whose presence says the result is complete.
        dependencies.Write(dependenciesList);
        WriteLines(outputsList, written);
        WriteLines(manifestEntries, new[] { ManifestEntry.Header }.Concat(restored.Select(e => e.ToLine())));
        return restored;
    }

    // A model file, its external data when it has some, and the reports written beside it
    // (net.cpu-int8.onnx, net.cpu-int8.onnx.data, net.cpu-int8.report.json, ...report.md).
    private static IEnumerable<string> CompanionFiles(string modelFileName) =>
        new[] { modelFileName, ExternalDataFile(modelFileName) }.Concat(ReportExtensions.Select(extension => Path.GetFileNameWithoutExtension(modelFileName) + extension));

    // Where the CLI puts the weights of an output of 2 GB or more (Optimizer.Core's ModelFile.DataFilePath).
    private static string ExternalDataFile(string modelFileName) => modelFileName + ".data";

    private FileStream OpenLock(string key) =>
        new FileStream(Path.Combine(Directory, key + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);

    // An entry can be evicted by another build between being listed and being read: that is a miss, not a failure.
    private static string[]? ReadLinesUnlessEvicted(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static HashSet<string>? ReadFileNamesUnlessEvicted(string folder)
    {
        try
        {
            return new HashSet<string>(new DirectoryInfo(folder).EnumerateFiles().Select(f => f.Name), StringComparer.Ordinal);
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    // Folders vanish while other builds evict; what is gone takes no space and is no entry.
    private static IEnumerable<DirectoryInfo> SafeSubdirectories(DirectoryInfo folder)
    {
        try
        {
            return folder.EnumerateDirectories().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static long SizeOfFiles(DirectoryInfo folder, SearchOption depth)
    {
        try
        {
            return folder.Exists ? folder.EnumerateFiles("*", depth).Sum(f => f.Length) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    // Best effort: a folder another build is deleting too, or one holding a file that is open (Windows), is left for a later eviction.
    private static void DeleteQuietly(string folder)
    {
        try
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void WriteLines(string path, IEnumerable<string> lines) =>
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
}
