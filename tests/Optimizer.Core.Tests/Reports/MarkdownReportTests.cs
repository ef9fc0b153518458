using Optimizer.Core.Config;
using Optimizer.Core.Reports;

namespace Optimizer.Core.Tests.Reports;

[TestClass]
public sealed class MarkdownReportTests
{
    [TestMethod]
    public void Render_Int8Report_ShowsSizesLatencyFidelityBudgetsAndPassNotes()
    {
        var report = ReportFixture.Reports[0];

        var markdown = MarkdownReport.Render(report);

        StringAssert.StartsWith(markdown, "# net.onnx → cpu-int8\n");
        StringAssert.Contains(markdown, $"| size | {ConfigValues.FormatSize(report.OriginalBytes)} | {ConfigValues.FormatSize(report.OptimizedBytes)} | {report.SizeRatio:0.00}x |");
        StringAssert.Contains(markdown, $"| latency | {report.Latency!.OriginalMilliseconds:0.###} ms | {report.Latency.OptimizedMilliseconds:0.###} ms | {report.Latency.Ratio:0.00}x |");
        StringAssert.Contains(markdown, $"| logits | {report.Fidelity.Cosine:0.0000} |");
        StringAssert.Contains(markdown, "| min_cosine | 0.9500 |");
        StringAssert.Contains(markdown, "| passed | compression.yaml:3 |");
        StringAssert.Contains(markdown, "| max_size | 1.0 KB |");
        StringAssert.Contains(markdown, "| **broken** (OPT4002) | compression.yaml:4 |");
        foreach (var note in report.Passes.SelectMany(p => p.Notes))
        {
            StringAssert.Contains(markdown, "- " + note + "\n");
        }
    }

    [TestMethod]
    public void PathFor_JsonReport_IsTheMarkdownBesideIt() =>
        Assert.AreEqual("/obj/models/net.cpu-int8.report.md", MarkdownReport.PathFor("/obj/models/net.cpu-int8.report.json"));
}
