namespace Optimizer.Cli.Tests;

/// <summary>The result of running the command line in-process: exit code and everything it printed.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static CliRun Of(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CommandLine.Run(args, output, error);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>The diagnostic codes printed as canonical error lines, in order.</summary>
    public IReadOnlyList<string> ErrorCodes =>
        Error.Split('\n').Select(line => System.Text.RegularExpressions.Regex.Match(line, @": error (OPT\d{4}): "))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}
