using System.Diagnostics;

namespace Optimizer.Core.Tests.Reports;

/// <summary>
/// Opens a page in headless Chromium (Debian's <c>chromium</c> package) and returns the DOM after its scripts ran and
/// every line Chromium logged. A missing browser fails the test loudly: .ci/run installs it, and a report test that
/// silently skipped would prove nothing.
/// </summary>
internal static class HeadlessChromium
{
    /// <summary>The rendered page of <paramref name="htmlFile"/>: its DOM and Chromium's log (console messages are <c>:CONSOLE</c> lines).</summary>
    public static (string Dom, string Log) Render(string htmlFile)
    {
        var profile = Directory.CreateTempSubdirectory("optimizer-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo(Executable())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                "--dump-dom", new Uri(Path.GetFullPath(htmlFile)).AbsoluteUri,
            })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var log = process.StandardError.ReadToEndAsync();
            var dom = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"Chromium did not finish rendering {htmlFile} within 90 s.");
            }

            Assert.AreEqual(0, process.ExitCode, $"Chromium failed on {htmlFile}:\n{log.Result}");
            return (dom, log.Result);
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    /// <summary>The JavaScript console lines in a Chromium log (messages, warnings and uncaught errors).</summary>
    public static IReadOnlyList<string> ConsoleLines(string log) =>
        log.Split('\n').Where(line => line.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();

    private static string Executable()
    {
        foreach (var name in new[] { "chromium", "chromium-browser" })
        {
            var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
            if (found is not null)
            {
                return found;
            }
        }

        Assert.Fail("Chromium is not installed, so the HTML report cannot be checked in a browser. " +
                    "Install it with: apt-get update && apt-get install -y chromium (.ci/run does this).");
        return "";
    }
}
