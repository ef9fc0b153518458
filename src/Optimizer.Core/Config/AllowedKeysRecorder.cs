namespace Optimizer.Core.Config;

/// <summary>
/// Records, while a test asks for it, which keys the loader accepts at each section, so a test can prove that the
/// shipped JSON Schema and the loader describe the same language. Costs nothing when not recording.
/// </summary>
internal static class AllowedKeysRecorder
{
    private static readonly AsyncLocal<Dictionary<string, HashSet<string>>?> Current = new();

    /// <summary>Starts recording on this async flow; dispose the result to stop.</summary>
    public static IDisposable Start(out IReadOnlyDictionary<string, HashSet<string>> recorded)
    {
        var sections = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        Current.Value = sections;
        recorded = sections;
        return new Stop();
    }

    /// <summary>Notes that the section at <paramref name="path"/> accepts <paramref name="keys"/>.</summary>
    public static void Record(string path, IEnumerable<string> keys)
    {
        if (Current.Value is { } sections)
        {
            var normalized = ConfigSchema.Normalize(path);
            if (!sections.TryGetValue(normalized, out var set))
            {
                sections[normalized] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.UnionWith(keys);
        }
    }

    private sealed class Stop : IDisposable
    {
        public void Dispose() => Current.Value = null;
    }
}
