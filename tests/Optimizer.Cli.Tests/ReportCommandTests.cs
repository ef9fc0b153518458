using Optimizer.Cli.Commands;
using Optimizer.Core.Reports;

namespace Optimizer.Cli.Tests;

[TestClass]
public sealed class ReportCommandTests
{
    [TestMethod]
    public void Report_AfterCompress_RendersEveryReportIntoOnePage()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-cli-report-").FullName;
        var model = ModelFiles.WriteConvNet(folder);
        Assert.AreEqual(0, CliRun.Of("compress", model, "--output-dir", Path.Combine(folder, "obj", "a")).ExitCode);
        Assert.AreEqual(0, CliRun.Of("compress", model, "-p", "cpu-int8", "--output-dir", Path.Combine(folder, "obj", "b"), "--output-name", "other").ExitCode);

        var run = CliRun.Of("report", Path.Combine(folder, "obj"));

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var page = Path.Combine(folder, "obj", ReportCommand.DefaultFileName);
        StringAssert.Contains(run.Output, $"{page} (3 reports)");
        var html = File.ReadAllText(page);
        Assert.AreEqual(3, System.Text.RegularExpressions.Regex.Matches(html, "<details>").Count);
        foreach (var report in Directory.GetFiles(Path.Combine(folder, "obj"), "*.report.json", SearchOption.AllDirectories).Select(ReportWriter.Read))
        {
            StringAssert.Contains(html, System.Net.WebUtility.HtmlEncode(report.Output));
        }

        Assert.IsTrue(File.Exists(Path.Combine(folder, "obj", "a", "net.cpu-int8.report.md")), "compress writes a Markdown summary beside each JSON report");
    }

    [TestMethod]
    public void Report_FolderWithoutReports_FailsWithOPT1020()
    {
        var run = CliRun.Of("report", Directory.CreateTempSubdirectory("optimizer-cli-empty-").FullName);

        Assert.AreEqual(1, run.ExitCode);
        CollectionAssert.AreEqual(new[] { "OPT1020" }, run.ErrorCodes.ToArray(), run.ToString());
    }

    [TestMethod]
    public void Report_GarbageReportFile_FailsWithOPT1021NamingTheFile()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-cli-garbage-").FullName;
        var garbage = Path.Combine(folder, "net.cpu-int8.report.json");
        File.WriteAllText(garbage, "{ not json");

        var run = CliRun.Of("report", folder);

        CollectionAssert.AreEqual(new[] { "OPT1021" }, run.ErrorCodes.ToArray(), run.ToString());
        StringAssert.Contains(run.Error, garbage);
    }
}
