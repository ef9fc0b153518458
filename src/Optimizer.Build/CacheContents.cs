namespace Optimizer.Build;

/// <summary>One complete result in the cache: its key, its folder, the bytes it takes and when a build last used it.</summary>
internal sealed record CachedEntry(string Key, string Path, long Bytes, DateTime LastUsedUtc);

/// <summary>What <see cref="CompressionCache.Scan"/> found: the complete results, and the bytes the whole cache folder takes.</summary>
internal sealed record CacheContents(IReadOnlyList<CachedEntry> Entries, long TotalBytes);
