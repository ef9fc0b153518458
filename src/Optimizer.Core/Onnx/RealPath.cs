namespace Optimizer.Core.Onnx;

/// <summary>
/// The path a file really lives at, with every symbolic link along it resolved (like POSIX <c>realpath</c>).
/// Checking only the last component would let a linked sub-folder lead external data outside the model's folder.
/// </summary>
internal static class RealPath
{
    // Link chains longer than this are loops (the same limit Linux applies: ELOOP after 40).
    private const int MaxLinks = 40;

    /// <summary>Resolves <paramref name="fullPath"/> (already absolute) component by component.</summary>
    public static string Of(string fullPath)
    {
        var links = 0;
        var root = Path.GetPathRoot(fullPath)!;
        var pending = new Stack<string>(fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = root;
        while (pending.TryPop(out var part))
        {
            var next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is not { } target)
            {
                current = Path.GetFullPath(next);
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new IOException($"Too many symbolic links while resolving '{fullPath}'.");
            }

            // Re-walk the target's own components: it may itself go through links.
            var resolved = Path.GetFullPath(Path.Combine(current, target));
            var targetRoot = Path.GetPathRoot(resolved)!;
            foreach (var component in resolved[targetRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(component);
            }

            current = targetRoot;
        }

        return current;
    }
}
