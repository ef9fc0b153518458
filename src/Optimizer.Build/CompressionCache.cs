using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
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
/// (<c>-m</c>, multi-targeting) neither race nor compress twice.
/// </summary>
internal sealed class CompressionCache(string directory)
{
    private const string EntriesFile = "entries.tsv";
    private const string DependenciesFile = "dependencies.tsv";
    private static readonly string[] ToolFiles = ["Optimizer.Cli.dll", "Optimizer.Core.dll", "Optimizer.Cli.deps.json"];
    private static readonly string[] ReportExtensions = [".report.json", ".report.md"];

    /// <summary>The cache folder.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);

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

        using var sha = SHA256.Create();
        return ContentHash.Hex(sha.ComputeHash(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Holds the key's lock until disposed, waiting while another build works on the same key.</summary>
    public IDisposable Lock(string key, TimeSpan timeout)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, key + ".lock");
        var waited = TimeSpan.Zero;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (waited < timeout)
            {
                Thread.Sleep(200);
                waited += TimeSpan.FromMilliseconds(200);
            }
        }
    }

    /// <summary>
    /// Copies a cached result of <paramref name="key"/> whose recorded dependencies, seen from
    /// <paramref name="modelDirectory"/>, still hash the same into <paramref name="outputDirectory"/>, and writes the
    /// outputs list, manifest entries and dependencies list as the CLI would have; null when no such result is cached.
    /// </summary>
    public List<ManifestEntry>? TryRestore(string key, string modelDirectory, string outputDirectory, string outputsList, string manifestEntries, string dependenciesList)
    {
        var hashes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var variant in Variants(key))
        {
            var cached = ManifestEntry.ParseAll(File.ReadAllLines(Path.Combine(variant, EntriesFile)));
            var manifest = CacheManifest.Parse(File.ReadAllLines(Path.Combine(variant, DependenciesFile)));
            if (cached is not null && manifest is not null && manifest.Holds(modelDirectory, hashes))
            {
                return Restore(variant, cached, manifest.Resolve(modelDirectory), outputDirectory, outputsList, manifestEntries, dependenciesList);
            }
        }

        return null;
    }

    /// <summary>
    /// Stores the result the CLI just wrote (its manifest entries, the models they name and their reports) under
    /// <paramref name="key"/>, with the manifest of the files its dependencies list names. Nothing is stored when a
    /// dependency vanished meanwhile, since the result could not be matched to what it was computed from.
    /// </summary>
    public void Store(string key, string modelDirectory, string manifestEntries, string dependenciesList)
    {
        var entries = File.Exists(manifestEntries) ? ManifestEntry.ParseAll(File.ReadAllLines(manifestEntries)) : null;
        var dependencies = RecordedDependencies.Read(dependenciesList);
        var manifest = dependencies is null ? null : CacheManifest.Record(modelDirectory, dependencies);
        if (entries is null || manifest is null)
        {
            return;
        }

        var final = Path.Combine(Directory, key, manifest.VariantName());
        if (System.IO.Directory.Exists(final))
        {
            return;
        }

        var staging = $"{final}.{Guid.NewGuid():N}.tmp";
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
        }
        finally
        {
            if (System.IO.Directory.Exists(staging))
            {
                System.IO.Directory.Delete(staging, recursive: true);
            }
        }
    }

    // The complete results stored under a key, newest first: the latest inputs are the likeliest to come back.
    private IEnumerable<string> Variants(string key)
    {
        var keyDirectory = new DirectoryInfo(Path.Combine(Directory, key));
        return keyDirectory.Exists
            ? keyDirectory.EnumerateDirectories()
                .Where(d => !d.Name.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d.FullName, EntriesFile)) && File.Exists(Path.Combine(d.FullName, DependenciesFile)))
                .OrderByDescending(d => d.LastWriteTimeUtc)
                .Select(d => d.FullName)
            : [];
    }

    private static List<ManifestEntry> Restore(
        string variant, List<ManifestEntry> cached, RecordedDependencies dependencies, string outputDirectory, string outputsList, string manifestEntries, string dependenciesList)
    {
        System.IO.Directory.CreateDirectory(outputDirectory);
        var restored = new List<ManifestEntry>();
        var written = new List<string>();
        foreach (var entry in cached)
        {
            foreach (var name in CompanionFiles(entry.Path))
            {
                var source = Path.Combine(variant, name);
                if (File.Exists(source))
                {
                    File.Copy(source, Path.Combine(outputDirectory, name), overwrite: true);
                }
            }

            restored.Add(entry with { Path = Path.Combine(outputDirectory, entry.Path) });
            written.AddRange(new[] { entry.Path, ExternalDataFile(entry.Path) }.Select(name => Path.Combine(outputDirectory, name)).Where(File.Exists));
        }

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

    private static void WriteLines(string path, IEnumerable<string> lines) =>
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
}
