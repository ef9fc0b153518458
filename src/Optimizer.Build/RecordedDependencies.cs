using System.Text;

namespace Optimizer.Build;

/// <summary>
/// The CLI's <c>--dependencies-list</c> file: every file besides the model that a compression read (compression.yaml
/// layers, calibration and validation samples, external data), one full path a line, and the folders samples were chosen
/// from, each ending with a directory separator. The targets watch them; the cache records their hashes.
/// </summary>
internal sealed record RecordedDependencies(IReadOnlyList<string> Files, IReadOnlyList<string> Folders)
{
    /// <summary>The list in <paramref name="path"/>; null when there is none (the model was never compressed here).</summary>
    public static RecordedDependencies? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToList();
        return new RecordedDependencies(
            lines.Where(line => !IsFolder(line)).ToList(),
            lines.Where(IsFolder).Select(line => line.TrimEnd('/', '\\')).ToList());
    }

    /// <summary>Writes the list in the CLI's format (what a cache hit leaves in place of the CLI's own list).</summary>
    public void Write(string path)
    {
        var lines = Files.Concat(Folders.Select(folder => folder + Path.DirectorySeparatorChar));
        File.WriteAllText(path, string.Concat(lines.Select(line => line + "\n")), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    private static bool IsFolder(string line) => line.EndsWith("/", StringComparison.Ordinal) || line.EndsWith("\\", StringComparison.Ordinal);
}
