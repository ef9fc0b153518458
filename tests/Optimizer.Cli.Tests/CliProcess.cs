using System.Diagnostics;

namespace Optimizer.Cli.Tests;

/// <summary>
/// The command line in a child process, as the MSBuild task runs it: for tests that need separate processes (two
/// builds racing for one output, a build killed mid-write) or an environment of their own.
/// </summary>
internal static class CliProcess
{
    /// <summary>Starts <c>dotnet Optimizer.Cli.dll</c> with <paramref name="args"/>, adding <paramref name="environment"/> to the inherited environment.</summary>
    public static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(typeof(CommandLine).Assembly.Location);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }

    /// <summary>Waits (at most two minutes) for <paramref name="process"/> and returns its exit code and output.</summary>
    public static CliRun Finish(Process process)
    {
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the command line did not finish within two minutes");
        }

        return new CliRun(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs the command line to completion in a child process.</summary>
    public static CliRun Run(IReadOnlyDictionary<string, string>? environment, params string[] args) => Finish(Start(environment, args));
}
