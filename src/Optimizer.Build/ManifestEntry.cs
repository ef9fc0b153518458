using System.Collections.Generic;
using System.Globalization;

namespace Optimizer.Build;

/// <summary>
/// One compressed model as the CLI describes it in its <c>--manifest-entries</c> file (the format is defined by
/// <c>Optimizer.Core.Reports.ManifestEntries</c>): tab-separated profile, execution provider, full path, bytes,
/// sha256, cosine and worst top-1 agreement (empty when no output has a class axis).
/// </summary>
internal sealed record ManifestEntry(string Profile, string ExecutionProvider, string Path, long Bytes, string Sha256, double? Cosine, double? Top1Agreement)
{
    /// <summary>The first line of a file this task understands.</summary>
    public const string Header = "# optimizer manifest entries v1";

    /// <summary>Parses a whole file's lines; null when the header or a line is not in the expected form.</summary>
    public static List<ManifestEntry>? ParseAll(IReadOnlyList<string> lines)
    {
        if (lines.Count == 0 || lines[0] != Header)
        {
            return null;
        }

        var entries = new List<ManifestEntry>();
        for (var i = 1; i < lines.Count; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            var entry = Parse(lines[i]);
            if (entry is null)
            {
                return null;
            }

            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>The entry as a line of the file, the inverse of parsing it.</summary>
    public string ToLine() => string.Join("\t",
        Profile, ExecutionProvider, Path, Bytes.ToString(CultureInfo.InvariantCulture), Sha256,
        Cosine?.ToString("R", CultureInfo.InvariantCulture) ?? "", Top1Agreement?.ToString("R", CultureInfo.InvariantCulture) ?? "");

    private static ManifestEntry? Parse(string line)
    {
        var fields = line.Split('\t');
        if (fields.Length != 7
            || !long.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes)
            || !double.TryParse(fields[5], NumberStyles.Float, CultureInfo.InvariantCulture, out var cosine))
        {
            return null;
        }

        double? top1 = double.TryParse(fields[6], NumberStyles.Float, CultureInfo.InvariantCulture, out var agreement) ? agreement : null;
        return new ManifestEntry(fields[0], fields[1], fields[2], bytes, fields[4], cosine, top1);
    }
}
