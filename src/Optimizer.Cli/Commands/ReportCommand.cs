using System.CommandLine;
using System.Text.Json;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Reports;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>optimizer report DIR</c>: renders every <c>*.report.json</c> under a folder (e.g. a build's <c>obj/</c>) into one
/// self-contained HTML page with a size chart and a fidelity table.
/// </summary>
internal static class ReportCommand
{
    /// <summary>The page's file name when <c>--output</c> is not given, written into the folder searched.</summary>
    public const string DefaultFileName = "optimization-report.html";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var directory = new Argument<string>("dir") { Description = "Folder searched (recursively) for *.report.json files, e.g. obj/." };
        var outputPath = new Option<string?>("--output", "-o") { Description = $"The HTML file to write (default: DIR/{DefaultFileName})." };
        var title = new Option<string?>("--title") { Description = "The page title (default: 'Optimizer report')." };
        var command = new Command("report", "Render all compression reports in a folder into one HTML page.") { directory, outputPath, title };
        command.SetAction(result => CommandLine.Guarded(error, () =>
        {
            var root = Path.GetFullPath(result.GetRequiredValue(directory));
            var reports = Load(root);
            var page = Path.GetFullPath(result.GetValue(outputPath) ?? Path.Combine(root, DefaultFileName));
            HtmlReport.Write(reports, result.GetValue(title) ?? "Optimizer report", page);
            output.WriteLine($"{page} ({reports.Count} reports)");
            return 0;
        }));
        return command;
    }

    private static List<CompressionReport> Load(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new OptimizerException(ErrorCodes.ReportsNotFound, $"The folder '{root}' does not exist.", root);
        }

        // Ordinal path order: the same build always renders the same page.
        var files = Directory.EnumerateFiles(root, "*.report.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new OptimizerException(ErrorCodes.ReportsNotFound,
                $"No *.report.json files under '{root}'. Reports are written beside the models by 'optimizer compress --output-dir' and by the build (obj/<config>/<tfm>/compressed/).", root);
        }

        return files.Select(Read).ToList();
    }

    private static CompressionReport Read(string file)
    {
        try
        {
            return ReportWriter.Read(file);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or NotSupportedException)
        {
            throw new OptimizerException(ErrorCodes.ReportUnreadable, $"'{file}' is not a compression report: {ex.Message}", file, inner: ex);
        }
    }
}
