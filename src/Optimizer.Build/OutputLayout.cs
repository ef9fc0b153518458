using System;

namespace Optimizer.Build;

/// <summary>
/// Where a compressed model lands in the app's output (<c>CompressModelsOutputLayout</c>):
/// <c>flat</c> keeps every profile beside the original (<c>models/net.cpu-int8.onnx</c>), <c>profile-folders</c> gives
/// each profile its own tree with the original's name (<c>cpu-int8/models/net.onnx</c>), so app code loads one path and
/// the platform build decides which profile folder ships.
/// </summary>
internal static class OutputLayout
{
    /// <summary>The default layout.</summary>
    public const string Flat = "flat";

    /// <summary>One folder per profile.</summary>
    public const string ProfileFolders = "profile-folders";

    /// <summary>True for a layout name this version knows.</summary>
    public static bool IsKnown(string layout) => layout == Flat || layout == ProfileFolders;

    /// <summary>The output-relative path (forward slashes) of a model's <paramref name="profile"/> output.</summary>
    public static string TargetPath(string layout, string targetDirectory, string outputName, string profile)
    {
        var directory = targetDirectory.Replace('\\', '/').Trim('/');
        var prefix = directory.Length == 0 ? "" : directory + "/";
        return layout == ProfileFolders
            ? $"{profile}/{prefix}{outputName}.onnx"
            : $"{prefix}{outputName}.{profile}.onnx";
    }

    /// <summary>The output-relative path of a model copied unchanged (compression disabled).</summary>
    public static string OriginalTargetPath(string targetDirectory, string outputName, string extension)
    {
        var directory = targetDirectory.Replace('\\', '/').Trim('/');
        return (directory.Length == 0 ? "" : directory + "/") + outputName + extension;
    }

    /// <summary>A layout name as written in a project, normalized for comparison.</summary>
    public static string Normalize(string? layout) =>
        string.IsNullOrWhiteSpace(layout) ? Flat : layout!.Trim().ToLowerInvariant();

    /// <summary>The known layouts, for error messages.</summary>
    public static string Known => string.Join(", ", new[] { Flat, ProfileFolders });
}
