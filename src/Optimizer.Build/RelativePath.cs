namespace Optimizer.Build;

/// <summary>
/// Paths relative to a model's folder, with '/' separators, as the content-addressed cache records them: the same
/// layout in another checkout (another folder, another machine) names its files the same, so its results are reused.
/// </summary>
internal static class RelativePath
{
    // Windows and macOS file systems are case-insensitive by default; comparing folders ordinally there would only
    // produce needless '../' detours, never a wrong path.
    private static readonly StringComparison FolderComparison =
        Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// <paramref name="path"/> relative to <paramref name="folder"/> (using <c>../</c> where needed); the full path
    /// when the two share no root (another drive), since no relative path leads there.
    /// </summary>
    public static string From(string folder, string path)
    {
        var from = Segments(Path.GetFullPath(folder));
        var to = Segments(Path.GetFullPath(path));
        if (from.Length == 0 || to.Length == 0 || !string.Equals(from[0], to[0], FolderComparison))
        {
            return Path.GetFullPath(path).Replace('\\', '/');
        }

        var common = 0;
        while (common < from.Length && common < to.Length && string.Equals(from[common], to[common], FolderComparison))
        {
            common++;
        }

        return string.Join("/", Enumerable.Repeat("..", from.Length - common).Concat(to.Skip(common)));
    }

    /// <summary>The full path a recorded <paramref name="relative"/> path names, seen from <paramref name="folder"/>.</summary>
    public static string Resolve(string folder, string relative) =>
        Path.GetFullPath(Path.Combine(folder, relative.Replace('/', Path.DirectorySeparatorChar)));

    // The root ("" for '/', "C:" on Windows) is the first segment, so paths on different roots never look related.
    private static string[] Segments(string fullPath) =>
        fullPath.Replace('\\', '/').TrimEnd('/').Split('/').Where((segment, index) => index == 0 || segment.Length > 0).ToArray();
}
