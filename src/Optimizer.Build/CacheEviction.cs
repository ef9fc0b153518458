namespace Optimizer.Build;

/// <summary>
/// Keeps the content-addressed cache under its size limit (<c>CompressModelsCacheMaxSize</c>) by removing the least
/// recently used results. Runs only after a compression stored a result, so builds that compress nothing never scan
/// the cache. The result just stored is never removed, even when it alone is over the limit (the next build of the
/// same inputs is the likeliest hit), nor is a result whose key another build holds (it may be reading it).
/// </summary>
internal static class CacheEviction
{
    /// <summary>
    /// Removes results of <paramref name="cache"/>, oldest last use first, until the folder takes at most
    /// <paramref name="maxBytes"/>; <paramref name="key"/> is the key the caller holds and stored <paramref name="storedEntry"/> under.
    /// </summary>
    public static EvictionResult Run(CompressionCache cache, string key, string storedEntry, long maxBytes)
    {
        var contents = cache.Scan();
        var total = contents.TotalBytes;
        var evicted = new List<CachedEntry>();
        var candidates = contents.Entries
            .Where(e => !string.Equals(e.Path, storedEntry, StringComparison.Ordinal))
            .OrderBy(e => e.LastUsedUtc)
            .ThenBy(e => e.Path, StringComparer.Ordinal);
        foreach (var entry in candidates)
        {
            if (total <= maxBytes)
            {
                break;
            }

            if (cache.TryEvict(entry, key))
            {
                total -= entry.Bytes;
                evicted.Add(entry);
            }
        }

        return new EvictionResult(evicted, total);
    }
}

/// <summary>The results <see cref="CacheEviction.Run"/> removed, and the bytes the cache folder takes after it.</summary>
internal sealed record EvictionResult(IReadOnlyList<CachedEntry> Evicted, long TotalBytes);
