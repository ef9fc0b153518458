using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace Optimizer.Build;

/// <summary>
/// A content-addressed store of compression results (<c>CompressModelsCacheDir</c>): the key hashes everything a
/// result depends on (the tool's assemblies, the model, its YAML and calibration files, the profiles and options), so
/// identical inputs in another target framework, project or branch reuse the models instead of compressing again.
/// Entries are written to a temporary folder and moved into place, and one key is worked on by one build at a time
/// (an exclusive lock file), so parallel builds (<c>-m</c>, multi-targeting) neither race nor compress twice.
/// </summary>
internal sealed class CompressionCache(string directory)
{
    private const string EntriesFile = "entries.tsv";
    private static readonly string[] ToolFiles = ["Optimizer.Cli.dll", "Optimizer.Core.dll", "Optimizer.Cli.deps.json"];
    private static readonly string[] ReportExtensions = [".report.json", ".report.md"];

    /// <summary>The cache folder.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>The key of one compression: a SHA-256 over the tool, the inputs' contents and the options.</summary>
    public static string Key(string cliPath, string model, IEnumerable<string> options, IEnumerable<string> dependencies)
    {
        using var sha = SHA256.Create();
        var text = new StringBuilder("optimizer-cache v1\n");
        var toolDirectory = Path.GetDirectoryName(Path.GetFullPath(cliPath))!;
        foreach (var file in ToolFiles.Select(f => Path.Combine(toolDirectory, f)).Where(File.Exists))
        {
            text.Append("tool ").Append(Path.GetFileName(file)).Append(' ').Append(FileHash(sha, file)).Append('\n');
        }

        text.Append("model ").Append(Path.GetExtension(model)).Append(' ').Append(FileHash(sha, model)).Append('\n');
        foreach (var option in options)
        {
            text.Append("option ").Append(option).Append('\n');
        }

        // Dependencies are named relative to the model's folder, so the same layout elsewhere gives the same key.
        var modelDirectory = Path.GetDirectoryName(Path.GetFullPath(model))!;
        foreach (var file in dependencies.Select(Path.GetFullPath).Where(File.Exists).Distinct().OrderBy(f => f, StringComparer.Ordinal))
        {
            text.Append("input ").Append(Relative(modelDirectory, file)).Append(' ').Append(FileHash(sha, file)).Append('\n');
        }

        return Hex(sha.ComputeHash(Encoding.UTF8.GetBytes(text.ToString())));
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
    /// Copies the cached result of <paramref name="key"/> into <paramref name="outputDirectory"/> and writes the outputs
    /// list and manifest entries as the CLI would have; null when the key is not cached.
    /// </summary>
    public List<ManifestEntry>? TryRestore(string key, string outputDirectory, string outputsList, string manifestEntries)
    {
        var entryDirectory = Path.Combine(Directory, key);
        var cached = File.Exists(Path.Combine(entryDirectory, EntriesFile))
            ? ManifestEntry.ParseAll(File.ReadAllLines(Path.Combine(entryDirectory, EntriesFile)))
            : null;
        if (cached is null)
        {
            return null;
        }

        System.IO.Directory.CreateDirectory(outputDirectory);
        var restored = new List<ManifestEntry>();
        foreach (var entry in cached)
        {
            var target = Path.Combine(outputDirectory, entry.Path);
            foreach (var name in CompanionFiles(entry.Path))
            {
                var source = Path.Combine(entryDirectory, name);
                if (File.Exists(source))
                {
                    File.Copy(source, Path.Combine(outputDirectory, name), overwrite: true);
                }
            }

            restored.Add(entry with { Path = target });
        }

        WriteLines(outputsList, restored.Select(e => e.Path));
        WriteLines(manifestEntries, new[] { ManifestEntry.Header }.Concat(restored.Select(e => e.ToLine())));
        return restored;
    }

    /// <summary>Stores the result the CLI just wrote (its outputs list and manifest entries) under <paramref name="key"/>.</summary>
    public void Store(string key, string manifestEntries)
    {
        var entries = File.Exists(manifestEntries) ? ManifestEntry.ParseAll(File.ReadAllLines(manifestEntries)) : null;
        var final = Path.Combine(Directory, key);
        if (entries is null || System.IO.Directory.Exists(final))
        {
            return;
        }

        var staging = Path.Combine(Directory, $"{key}.{Guid.NewGuid():N}.tmp");
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

    // A model file and the reports written beside it (net.cpu-int8.onnx, net.cpu-int8.report.json, ...report.md).
    private static IEnumerable<string> CompanionFiles(string modelFileName) =>
        new[] { modelFileName }.Concat(ReportExtensions.Select(extension => Path.GetFileNameWithoutExtension(modelFileName) + extension));

    private static void WriteLines(string path, IEnumerable<string> lines) =>
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    private static string Relative(string root, string path) =>
        path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? path.Substring(root.Length + 1).Replace('\\', '/') : Path.GetFileName(path);

    private static string FileHash(SHA256 sha, string path)
    {
        using var stream = File.OpenRead(path);
        return Hex(sha.ComputeHash(stream));
    }

    private static string Hex(byte[] hash) => string.Concat(hash.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
