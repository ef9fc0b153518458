namespace Optimizer.Core.Passes.Pruning;

/// <summary>Output cosine of the model with one group pruned alone at each ratio.</summary>
public sealed record SensitivityRow(string Group, int Channels, IReadOnlyList<double> Cosines);

/// <summary>
/// The result of a sensitivity analysis: for each prunable channel group (in graph order) the model's output cosine
/// on calibration data when only that group is pruned, at each of <see cref="Ratios"/>.
/// </summary>
public sealed record SensitivityTable(IReadOnlyList<double> Ratios, IReadOnlyList<SensitivityRow> Rows)
{
    /// <summary>The ratios every group is tried at.</summary>
    public static IReadOnlyList<double> DefaultRatios { get; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    /// <summary>The table as report lines: a header, then one line per group.</summary>
    public IEnumerable<string> Lines()
    {
        yield return "sensitivity (output cosine, group pruned alone): group [channels] | " +
            string.Join(" | ", Ratios.Select(r => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r:0%}")));
        foreach (var row in Rows)
        {
            yield return $"  {row.Group} [{row.Channels}] | " +
                string.Join(" | ", row.Cosines.Select(c => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{c:0.0000}")));
        }
    }
}
