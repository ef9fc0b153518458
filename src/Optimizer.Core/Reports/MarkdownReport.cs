using System.Text;
using Optimizer.Core.Config;
using Optimizer.Core.Onnx;

namespace Optimizer.Core.Reports;

/// <summary>
/// Renders one report as a Markdown summary a person reads in a pull request or a CI artifact: sizes, latency,
/// fidelity per output, budgets with their headroom, and what each pass did (including what stayed in float and why).
/// </summary>
public static class MarkdownReport
{
    /// <summary>The summary's path beside a JSON report: <c>net.cpu-int8.report.json</c> -> <c>net.cpu-int8.report.md</c>.</summary>
    public static string PathFor(string jsonReportPath) => Path.ChangeExtension(jsonReportPath, ".md");

    /// <summary>Writes the summary of <paramref name="report"/> to <paramref name="path"/>, atomically.</summary>
    public static void Write(CompressionReport report, string path)
    {
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(Render(report));
        AtomicFile.Write(Path.GetFullPath(path), stream => stream.Write(bytes));
    }

    /// <summary>The Markdown text for <paramref name="report"/>.</summary>
    public static string Render(CompressionReport report)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(Path.GetFileName(report.Model)).Append(" → ").Append(report.Profile).Append("\n\n");
        md.Append("Output `").Append(Path.GetFileName(report.Output)).Append("` for ").Append(report.ExecutionProvider)
          .Append(", produced by Optimizer ").Append(report.ToolVersion).Append(" in ").Append(ReportFormat.Seconds(report.Seconds)).Append(".\n");
        md.Append("Configuration: ").Append(report.Config is null ? "built-in defaults" : $"`{report.Config}`").Append(". ");
        md.Append("Verified on ").Append(ReportFormat.Samples(report)).Append(".\n\n");

        md.Append("| | original | optimized | ratio |\n|---|---|---|---|\n");
        md.Append("| size | ").Append(ConfigValues.FormatSize(report.OriginalBytes)).Append(" | ").Append(ConfigValues.FormatSize(report.OptimizedBytes))
          .Append(" | ").Append(ReportFormat.Ratio(report.SizeRatio)).Append(" |\n");
        if (report.Latency is { } latency)
        {
            md.Append("| latency | ").Append(ReportFormat.Milliseconds(latency.OriginalMilliseconds)).Append(" | ")
              .Append(ReportFormat.Milliseconds(latency.OptimizedMilliseconds)).Append(" | ").Append(ReportFormat.Ratio(latency.Ratio)).Append(" |\n");
            md.Append("\nLatency: ").Append(ReportFormat.LatencyMethod(latency)).Append(".\n");
        }

        md.Append("\n## Fidelity\n\n| output | cosine | max abs error | top-1 agreement |\n|---|---|---|---|\n");
        foreach (var output in report.Fidelity.Outputs)
        {
            md.Append("| ").Append(Cell(output.Output)).Append(" | ").Append(ReportFormat.Cosine(output.Cosine)).Append(" | ")
              .Append(ReportFormat.Error(output.MaxAbsError)).Append(" | ").Append(ReportFormat.Percent(output.Top1Agreement)).Append(" |\n");
        }

        if (report.Budgets.Count > 0)
        {
            md.Append("\n## Budgets\n\n| budget | limit | measured | result | set at |\n|---|---|---|---|---|\n");
            foreach (var budget in report.Budgets)
            {
                md.Append("| ").Append(budget.Budget).Append(" | ").Append(ReportFormat.BudgetValue(budget, budget.Limit)).Append(" | ")
                  .Append(ReportFormat.BudgetValue(budget, budget.Measured)).Append(" | ").Append(budget.Passed ? "passed" : $"**broken** ({budget.Code})")
                  .Append(" | ").Append(budget.At is { } at ? $"{Path.GetFileName(at.File)}:{at.Line}" : "").Append(" |\n");
            }
        }

        md.Append("\n## Passes\n\n");
        foreach (var pass in report.Passes)
        {
            md.Append("### ").Append(pass.Name).Append(" (").Append(ReportFormat.Seconds(pass.Seconds)).Append(")\n\n");
            foreach (var note in pass.Notes)
            {
                md.Append("- ").Append(note).Append('\n');
            }

            md.Append('\n');
        }

        return md.ToString();
    }

    // A pipe inside a table cell would end the cell.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
