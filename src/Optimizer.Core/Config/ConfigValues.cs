using System.Globalization;
using Optimizer.Shared;

namespace Optimizer.Core.Config;

/// <summary>Parses the human-friendly value formats compression.yaml accepts (sizes, percentages).</summary>
public static class ConfigValues
{
    /// <summary>Parses <c>8 MB</c>, <c>1.5GB</c>, <c>512 KB</c> or a plain byte count (binary units; see <see cref="ByteSize"/>).</summary>
    public static bool TryParseSize(string text, out long bytes) => ByteSize.TryParse(text, out bytes);

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
