using System.Text.RegularExpressions;
using Optimizer.Core.Reports;

namespace Optimizer.Core.Tests.Reports;

/// <summary>The HTML report opened in headless Chromium: it must render, run its script and log nothing to the console.</summary>
[TestClass]
public sealed class HtmlReportBrowserTests
{
    [TestMethod]
    public void Page_OpenedInChromium_RendersChartAndTableWithNoConsoleErrors()
    {
        var reports = ReportFixture.Reports;
        var page = Path.Combine(Directory.CreateTempSubdirectory("optimizer-html-").FullName, "report.html");
        HtmlReport.Write(reports, "Build <42> report", page);

        var (dom, log) = HeadlessChromium.Render(page);

        StringAssert.Contains(dom, "data-rendered=\"ok\"", "the page's script did not run to the end:\n" + log);
        CollectionAssert.AreEqual(Array.Empty<string>(), HeadlessChromium.ConsoleLines(log).ToArray(), "console output:\n" + log);
        StringAssert.Contains(dom, "<pre id=\"errors\" hidden=\"\"></pre>", "the page caught a script error");
        StringAssert.Contains(dom, "<title>Build &lt;42&gt; report</title>");
        Assert.AreEqual(reports.Count, Regex.Matches(dom, "<rect class=\"optimized\"").Count - 1, "one optimized bar per report, plus the legend");
        var rows = Regex.Matches(dom, @"<tr(?: class=""broken"")?><td>net\.onnx</td><td>([a-z0-9-]+)</td>").Select(m => m.Groups[1].Value).ToArray();
        CollectionAssert.AreEqual(new[] { "cpu-int8", "gpu-fp16" }, rows);
        StringAssert.Contains(dom, $"{reports[0].Fidelity.Cosine:0.0000}");
        StringAssert.Contains(dom, "Broken budgets: <strong>2</strong>", "both profiles break the 1 KB size budget");
        Assert.AreEqual(2, Regex.Matches(dom, "<tr class=\"broken\">").Count);
    }

    [TestMethod]
    public void Chromium_PageWithAScriptError_IsCaughtByTheConsoleCheck()
    {
        // The control for the test above: proves a broken page would not pass unnoticed.
        var page = Path.Combine(Directory.CreateTempSubdirectory("optimizer-html-").FullName, "broken.html");
        File.WriteAllText(page, "<!DOCTYPE html><html><body><script>notDefined();</script></body></html>");

        var (dom, log) = HeadlessChromium.Render(page);

        Assert.IsFalse(dom.Contains("data-rendered", StringComparison.Ordinal));
        Assert.AreEqual(1, HeadlessChromium.ConsoleLines(log).Count(l => l.Contains("notDefined is not defined", StringComparison.Ordinal)), log);
    }
}
