namespace Optimizer.Core.Config;

/// <summary>
/// Finds the configuration layers for a model. An explicit file replaces discovery; otherwise a folder-wide
/// <c>compression.yaml</c> applies, overridden key by key by <c>&lt;model&gt;.compression.yaml</c> next to the model.
/// With neither, the built-in defaults apply.
/// </summary>
public static class ConfigLocator
{
    /// <summary>The file name shared by every model in a folder.</summary>
    public const string FolderFileName = "compression.yaml";

    /// <summary>The configuration files that apply to <paramref name="modelPath"/>, least specific first.</summary>
    public static IReadOnlyList<string> FindLayers(string modelPath, string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return [Path.GetFullPath(explicitPath)];
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var folderWide = Path.Combine(directory, FolderFileName);
        var perModel = Path.Combine(directory, Path.GetFileNameWithoutExtension(modelPath) + "." + FolderFileName);
        return new[] { folderWide, perModel }.Where(File.Exists).ToList();
    }

    /// <summary>Loads the merged configuration that applies to the model, with <paramref name="overrides"/> on top.</summary>
    public static CompressionConfig LoadFor(string modelPath, string? explicitPath, IReadOnlyList<string> overrides)
    {
        var layers = FindLayers(modelPath, explicitPath);
        return layers.Count == 0 && overrides.Count == 0 ? CompressionConfig.Default : ConfigLoader.LoadLayers(layers, overrides);
    }
}
