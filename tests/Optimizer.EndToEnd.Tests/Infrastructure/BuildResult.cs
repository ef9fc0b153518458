using System.Text.RegularExpressions;

namespace Optimizer.EndToEnd.Tests.Infrastructure;

/// <summary>A finished build of a scenario: its output (detailed verbosity), binary log and diagnostics.</summary>
internal sealed partial class BuildResult(CommandResult command, string binlogPath, string logPath)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode => command.ExitCode;

    /// <summary>The console output at detailed verbosity.</summary>
    public string Output => command.Output;

    /// <summary>The distinct error codes reported (OPTnnnn, MSBnnnn, CSnnnn, NUnnnn, ...), sorted.</summary>
    public IReadOnlyList<string> ErrorCodes => Codes(ErrorPattern());

    /// <summary>The distinct warning codes reported, sorted.</summary>
    public IReadOnlyList<string> WarningCodes => Codes(WarningPattern());

    /// <summary>True when MSBuild skipped the per-model compression target as up to date.</summary>
    public bool SkippedCompression => Output.Contains("Skipping target \"_CompressModelsCompress\" because all output files are up-to-date", StringComparison.Ordinal);

    /// <summary>True when the per-model compression target ran (fully or partially).</summary>
    public bool RanCompression => Output.Contains("Building target \"_CompressModelsCompress\"", StringComparison.Ordinal);

    /// <summary>True when the per-model compression target ran because its outputs were out of date.</summary>
    public bool RanCompressionFully() => Output.Contains("Building target \"_CompressModelsCompress\" completely", StringComparison.Ordinal)
        || Output.Contains("Building target \"_CompressModelsCompress\" partially", StringComparison.Ordinal);

    /// <summary>What a failure message should carry: the command, the errors, the log's end and where the full logs are.</summary>
    public string Describe() =>
        $"""
        {command.CommandLine} exited with {ExitCode}.
        Errors: {string.Join(", ", ErrorCodes)}; warnings: {string.Join(", ", WarningCodes)}.
        Binary log: {binlogPath}
        Full output: {logPath}
        Error lines:
        {string.Join(Environment.NewLine, Output.Split('\n').Where(l => ErrorPattern().IsMatch(l)).Distinct().Take(20))}
        Last lines:
        {Tail(Output, 60)}
        """;

    /// <summary>Asserts the build succeeded without errors.</summary>
    public void AssertSucceeded() => Assert.AreEqual(0, ExitCode, Describe());

    /// <summary>The last <paramref name="lines"/> lines of <paramref name="text"/>.</summary>
    public static string Tail(string text, int lines) =>
        string.Join(Environment.NewLine, text.Split('\n').TakeLast(lines).Select(l => l.TrimEnd('\r')));

    private List<string> Codes(Regex pattern) =>
        pattern.Matches(Output).Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"\berror ([A-Z]+[0-9]{3,5})\s*:")]
    private static partial Regex ErrorPattern();

    [GeneratedRegex(@"\bwarning ([A-Z]+[0-9]{3,5})\s*:")]
    private static partial Regex WarningPattern();
}
