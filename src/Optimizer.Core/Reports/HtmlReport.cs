using System.Globalization;
using System.Net;
using System.Text;
using Optimizer.Core.Config;
using Optimizer.Core.Onnx;

namespace Optimizer.Core.Reports;

/// <summary>
/// Renders every report of a build into one self-contained HTML page (no external files, scripts or fonts, so it works
/// as a CI artifact opened offline): a size chart as inline SVG, a fidelity and latency table, budgets, and each
/// profile's pass notes. The page marks itself rendered (<c>data-rendered="ok"</c> on &lt;html&gt;) once its script
/// ran, and lists any script error in <c>#errors</c>, which is how a headless browser test knows it really rendered.
/// </summary>
public static class HtmlReport
{
    private const int ChartWidth = 720;
    private const int LabelWidth = 220;
    private const int RowHeight = 34;

    /// <summary>Writes the page for <paramref name="reports"/> to <paramref name="path"/>, atomically.</summary>
    public static void Write(IReadOnlyList<CompressionReport> reports, string title, string path)
    {
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(Render(reports, title));
        AtomicFile.Write(Path.GetFullPath(path), stream => stream.Write(bytes));
    }

    /// <summary>The page's HTML. Reports are shown in the order given; the caller sorts them.</summary>
    public static string Render(IReadOnlyList<CompressionReport> reports, string title)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(Encode(title)).Append("</title>\n");
        html.Append("<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n");
        html.Append("<h1>").Append(Encode(title)).Append("</h1>\n");
        html.Append("<p class=\"lead\">").Append(reports.Count).Append(" optimized model(s) from ")
            .Append(reports.Select(r => r.Model).Distinct().Count()).Append(" source model(s). ")
            .Append("Broken budgets: <strong>").Append(reports.Sum(r => r.Budgets.Count(b => !b.Passed))).Append("</strong>.</p>\n");
        html.Append("<h2>Size</h2>\n").Append(SizeChart(reports));
        html.Append("<h2>Fidelity and latency</h2>\n").Append(FidelityTable(reports));
        html.Append("<h2>Details</h2>\n");
        foreach (var report in reports)
        {
            html.Append(Details(report));
        }

        html.Append("<pre id=\"errors\" hidden></pre>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string SizeChart(IReadOnlyList<CompressionReport> reports)
    {
        var largest = Math.Max(1, reports.Select(r => Math.Max(r.OriginalBytes, r.OptimizedBytes)).DefaultIfEmpty(1).Max());
        var barSpace = ChartWidth - LabelWidth - 150;
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg id=\"size-chart\" role=\"img\" aria-label=\"Model sizes before and after\" width=\"{ChartWidth}\" height=\"{reports.Count * RowHeight + 28}\" viewBox=\"0 0 {ChartWidth} {reports.Count * RowHeight + 28}\" xmlns=\"http://www.w3.org/2000/svg\">\n"));
        for (var i = 0; i < reports.Count; i++)
        {
            var report = reports[i];
            var y = i * RowHeight;
            var original = barSpace * report.OriginalBytes / (double)largest;
            var optimized = barSpace * report.OptimizedBytes / (double)largest;
            svg.Append(Invariant($"<g class=\"bar\" transform=\"translate(0,{y})\">"));
            svg.Append(Invariant($"<text x=\"0\" y=\"20\" class=\"label\">{Encode(Label(report))}</text>"));
            svg.Append(Invariant($"<rect class=\"original\" x=\"{LabelWidth}\" y=\"4\" width=\"{original:0.#}\" height=\"12\"><title>original {ConfigValues.FormatSize(report.OriginalBytes)}</title></rect>"));
            svg.Append(Invariant($"<rect class=\"optimized\" x=\"{LabelWidth}\" y=\"17\" width=\"{optimized:0.#}\" height=\"12\"><title>optimized {ConfigValues.FormatSize(report.OptimizedBytes)}</title></rect>"));
            svg.Append(Invariant($"<text x=\"{LabelWidth + Math.Max(original, optimized) + 6:0.#}\" y=\"20\" class=\"value\">{ConfigValues.FormatSize(report.OriginalBytes)} → {ConfigValues.FormatSize(report.OptimizedBytes)} ({ReportFormat.Ratio(report.SizeRatio)})</text>"));
            svg.Append("</g>\n");
        }

        var legendY = reports.Count * RowHeight + 12;
        svg.Append(Invariant($"<g class=\"legend\" transform=\"translate({LabelWidth},{legendY})\"><rect class=\"original\" width=\"12\" height=\"12\"/><text x=\"16\" y=\"11\">original</text>"));
        svg.Append("<rect class=\"optimized\" x=\"90\" width=\"12\" height=\"12\"/><text x=\"106\" y=\"11\">optimized</text></g>\n</svg>\n");
        return svg.ToString();
    }

    private static string FidelityTable(IReadOnlyList<CompressionReport> reports)
    {
        var table = new StringBuilder();
        table.Append("<table id=\"fidelity\" class=\"sortable\">\n<thead><tr>");
        foreach (var header in new[] { "model", "profile", "provider", "size", "size ratio", "cosine", "max abs error", "top-1 agreement", "latency", "latency ratio", "budgets", "samples" })
        {
            table.Append("<th>").Append(header).Append("</th>");
        }

        table.Append("</tr></thead>\n<tbody>\n");
        foreach (var report in reports)
        {
            var top1 = report.Fidelity.Outputs.Where(o => o.Top1Agreement is not null).Select(o => o.Top1Agreement).DefaultIfEmpty(null).Min();
            var broken = report.Budgets.Count(b => !b.Passed);
            table.Append(broken > 0 ? "<tr class=\"broken\">" : "<tr>");
            Cell(table, Path.GetFileName(report.Model));
            Cell(table, report.Profile);
            Cell(table, report.ExecutionProvider);
            Cell(table, $"{ConfigValues.FormatSize(report.OriginalBytes)} → {ConfigValues.FormatSize(report.OptimizedBytes)}", report.OptimizedBytes);
            Cell(table, ReportFormat.Ratio(report.SizeRatio), report.SizeRatio);
            Cell(table, ReportFormat.Cosine(report.Fidelity.Cosine), report.Fidelity.Cosine);
            Cell(table, ReportFormat.Error(report.Fidelity.MaxAbsError), report.Fidelity.MaxAbsError);
            Cell(table, ReportFormat.Percent(top1), top1 ?? -1);
            Cell(table, report.Latency is { } l ? $"{ReportFormat.Milliseconds(l.OriginalMilliseconds)} → {ReportFormat.Milliseconds(l.OptimizedMilliseconds)}" : "–", report.Latency?.OptimizedMilliseconds ?? -1);
            Cell(table, report.Latency is { } r ? ReportFormat.Ratio(r.Ratio) : "–", report.Latency?.Ratio ?? -1);
            Cell(table, report.Budgets.Count == 0 ? "none" : broken == 0 ? $"{report.Budgets.Count} passed" : $"{broken} broken", broken);
            Cell(table, report.SyntheticCalibration ? $"{report.Fidelity.Samples} random" : $"{report.Fidelity.Samples}", report.Fidelity.Samples);
            table.Append("</tr>\n");
        }

        table.Append("</tbody>\n</table>\n");
        return table.ToString();
    }

    private static string Details(CompressionReport report)
    {
        var details = new StringBuilder();
        details.Append("<details>\n<summary>").Append(Encode(Label(report))).Append("</summary>\n<p>")
            .Append("Output <code>").Append(Encode(report.Output)).Append("</code>, configuration ")
            .Append(report.Config is null ? "built-in defaults" : $"<code>{Encode(report.Config)}</code>")
            .Append(", verified on ").Append(Encode(ReportFormat.Samples(report))).Append(", ").Append(ReportFormat.Seconds(report.Seconds)).Append(".</p>\n");
        if (report.Latency is { } latency)
        {
            details.Append("<p>Latency: ").Append(Encode(ReportFormat.LatencyMethod(latency))).Append(".</p>\n");
        }

        if (report.Budgets.Count > 0)
        {
            details.Append("<ul class=\"budgets\">\n");
            foreach (var budget in report.Budgets)
            {
                details.Append(budget.Passed ? "<li>" : "<li class=\"broken\">").Append(Encode(budget.Message))
                    .Append(budget.At is { } at ? Invariant($" <small>({Encode(Path.GetFileName(at.File))}:{at.Line})</small>") : "").Append("</li>\n");
            }

            details.Append("</ul>\n");
        }

        foreach (var pass in report.Passes)
        {
            details.Append("<h3>").Append(Encode(pass.Name)).Append(" <small>").Append(ReportFormat.Seconds(pass.Seconds)).Append("</small></h3>\n<ul>\n");
            foreach (var note in pass.Notes)
            {
                details.Append("<li>").Append(Encode(note)).Append("</li>\n");
            }

            details.Append("</ul>\n");
        }

        return details.Append("</details>\n").ToString();
    }

    private static void Cell(StringBuilder table, string text, double? sortKey = null)
    {
        table.Append(sortKey is { } key ? Invariant($"<td data-sort=\"{key:R}\">") : "<td>").Append(Encode(text)).Append("</td>");
    }

    private static string Label(CompressionReport report) => $"{Path.GetFileName(report.Model)} · {report.Profile}";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private const string Style = """
        body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #1d2330; padding: 0 1em; }
        h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #dde; } h3 { font-size: 1em; margin-bottom: .2em; }
        .lead { color: #556; }
        svg text { font: 12px system-ui, sans-serif; fill: #1d2330; }
        rect.original { fill: #b8c0cc; } rect.optimized { fill: #2f7ed8; }
        table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
        th, td { border-bottom: 1px solid #e4e6ec; padding: .35em .5em; text-align: left; white-space: nowrap; }
        th { cursor: pointer; background: #f4f6fa; } th:hover { background: #e8ecf4; }
        tr.broken td, li.broken { color: #b3261e; font-weight: 600; }
        details { margin: .6em 0; padding: .4em .8em; border: 1px solid #e4e6ec; border-radius: 6px; }
        summary { cursor: pointer; font-weight: 600; }
        code { background: #f4f6fa; padding: 0 .25em; border-radius: 3px; }
        #errors { color: #b3261e; }

        """;

    // Click a header to sort by it (numbers by data-sort). Any script error is shown in #errors, and the page marks
    // itself rendered only when the script ran to the end.
    private const string Script = """
        (function () {
          var errors = document.getElementById('errors');
          window.addEventListener('error', function (e) { errors.hidden = false; errors.textContent += 'error: ' + e.message + '\n'; });
          document.querySelectorAll('table.sortable th').forEach(function (th, column) {
            th.addEventListener('click', function () {
              var body = th.closest('table').tBodies[0];
              var ascending = th.dataset.order !== 'asc';
              th.dataset.order = ascending ? 'asc' : 'desc';
              var key = function (row) { var cell = row.cells[column]; return cell.dataset.sort !== undefined ? parseFloat(cell.dataset.sort) : cell.textContent; };
              Array.from(body.rows).sort(function (a, b) {
                var x = key(a), y = key(b);
                var order = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
                return ascending ? order : -order;
              }).forEach(function (row) { body.appendChild(row); });
            });
          });
          document.documentElement.dataset.rendered = 'ok';
        })();

        """;
}
