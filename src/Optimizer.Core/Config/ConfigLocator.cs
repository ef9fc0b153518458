namespace Optimizer.Core.Config;

/// <summary>
/// Finds the configuration for a model: an explicit file wins, then <c>&lt;model&gt;.compression.yaml</c> next to the
/// model, then a folder-wide <c>compression.yaml</c>; with none, the built-in defaults apply.
/// </summary>
public static class ConfigLocator
{
    /// <summary>The file name shared by every model in a folder.</summary>
    public const string FolderFileName = "compression.yaml";

    /// <summary>The configuration file that applies to <paramref name="modelPath"/>, or null when there is none.</summary>
    public static string? Find(string modelPath, string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return Path.GetFullPath(explicitPath);
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var perModel = Path.Combine(directory, Path.GetFileNameWithoutExtension(modelPath) + "." + FolderFileName);
        if (File.Exists(perModel))
        {
            return perModel;
        }

        var folderWide = Path.Combine(directory, FolderFileName);
        return File.Exists(folderWide) ? folderWide : null;
    }

    /// <summary>Loads the configuration that applies to the model, or the defaults.</summary>
    public static CompressionConfig LoadFor(string modelPath, string? explicitPath)
    {
        var path = Find(modelPath, explicitPath);
        return path is null ? CompressionConfig.Default : ConfigLoader.Load(path);
    }
}
