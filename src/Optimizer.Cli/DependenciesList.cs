using Optimizer.Core;
using Optimizer.Core.Onnx;

namespace Optimizer.Cli;

/// <summary>
/// Writes <c>compress --dependencies-list</c>: every file besides the model that the result depends on, one full path a
/// line, then every folder whose listing chose samples, ending with a directory separator (a file added there can
/// change the result). The MSBuild targets watch them as Inputs, and the content-addressed cache records their hashes.
/// </summary>
internal static class DependenciesList
{
    /// <summary>Writes <paramref name="inputs"/> to <paramref name="path"/> atomically, so a reader never sees half a list.</summary>
    public static void Write(CompressionInputs inputs, string path)
    {
        var lines = inputs.Files.Concat(inputs.Folders.Select(folder => Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar));
        var text = string.Concat(lines.Select(line => line + "\n"));
        AtomicFile.Write(Path.GetFullPath(path), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
    }
}
