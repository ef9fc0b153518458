using System.Globalization;

namespace Optimizer.Core.Config;

/// <summary>Parses the human-friendly value formats compression.yaml accepts (sizes, percentages).</summary>
public static class ConfigValues
{
    private static readonly (string Suffix, long Factor)[] SizeUnits =
    [
        ("GB", 1L << 30), ("G", 1L << 30), ("MB", 1L << 20), ("M", 1L << 20), ("KB", 1L << 10), ("K", 1L << 10), ("B", 1),
    ];

    /// <summary>
    /// Parses <c>8 MB</c>, <c>1.5GB</c>, <c>512 KB</c> or a plain byte count. Units are binary (1 MB = 1024 x 1024 bytes),
    /// matching what file managers and <c>ls -h</c> show for model files.
    /// </summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var trimmed = text.Trim();
        var factor = 1L;
        foreach (var (suffix, unitFactor) in SizeUnits)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                factor = unitFactor;
                trimmed = trimmed[..^suffix.Length].Trim();
                break;
            }
        }

        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < 0 || double.IsInfinity(number * factor))
        {
            return false;
        }

        bytes = (long)Math.Round(number * factor);
        return true;
    }

    /// <summary>Parses <c>0.99</c> or <c>99%</c> into a fraction between 0 and 1.</summary>
    public static bool TryParseFraction(string text, out double fraction)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        if (!double.TryParse(percent ? trimmed[..^1] : trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out fraction))
        {
            return false;
        }

        if (percent)
        {
            fraction /= 100;
        }

        return fraction is >= 0 and <= 1;
    }

    /// <summary>A byte count as people read it, e.g. <c>4.1 MB</c>.</summary>
    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB"),
        _ => $"{bytes} B",
    };
}
