using System.Globalization;

namespace Optimizer.Shared;

/// <summary>
/// Sizes as people write them: <c>500MB</c>, <c>2 GB</c>, <c>1.5G</c> or a plain byte count, with binary units
/// (1 MB = 1024 x 1024 bytes, as file managers and <c>ls -h</c> show model files). One source file compiled into the
/// engine (compression.yaml sizes) and the MSBuild task (<c>CompressModelsCacheMaxSize</c>), which cannot reference
/// the engine (netstandard2.0, loaded into MSBuild), so both accept exactly the same forms.
/// </summary>
internal static class ByteSize
{
    // Longest suffix first, so "500MB" is read as megabytes and not as "500M" followed by a stray "B".
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("TB", 1L << 40), ("T", 1L << 40), ("GB", 1L << 30), ("G", 1L << 30), ("MB", 1L << 20), ("M", 1L << 20),
        ("KB", 1L << 10), ("K", 1L << 10), ("B", 1),
    ];

    /// <summary>Parses <paramref name="text"/> into a byte count; false when it is not a size of one of the accepted forms.</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var number = text.Trim();
        var factor = 1L;
        foreach (var (suffix, unitFactor) in Units)
        {
            if (number.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                factor = unitFactor;
                number = number.Substring(0, number.Length - suffix.Length).Trim();
                break;
            }
        }

        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value * factor >= long.MaxValue)
        {
            return false;
        }

        bytes = (long)Math.Round(value * factor);
        return true;
    }

    /// <summary>A byte count as people read it, e.g. <c>1.5 GB</c>.</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        >= 1L << 10 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
