using System.Diagnostics;
using System.Text;

namespace Optimizer.EndToEnd.Tests.Infrastructure;

/// <summary>The outcome of one <c>dotnet</c> command: exit code and interleaved stdout/stderr.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string Output);

/// <summary>
/// Runs the <c>dotnet</c> CLI in a clean environment: the test host runs under MSBuild/VSTest, whose environment
/// variables (MSBuildExtensionsPath, MSBUILD_EXE_PATH, ...) would otherwise steer the child build to the wrong SDK pieces.
/// </summary>
internal static class DotnetCommand
{
    private static readonly string[] InheritedPrefixesToDrop = ["MSBUILD", "MSBUILDEXTENSIONSPATH", "MSBUILDSDKSPATH", "DOTNET_HOST_PATH", "VSTEST", "TESTINGPLATFORM"];

    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>.</summary>
    public static CommandResult Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetPath())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var key in start.Environment.Keys.ToList())
        {
            if (InheritedPrefixesToDrop.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Append(output, $"*** killed after {timeout.TotalSeconds:0} s ***");
            return new CommandResult(Describe(arguments), -1, output.ToString());
        }

        process.WaitForExit();
        return new CommandResult(Describe(arguments), process.ExitCode, output.ToString());
    }

    /// <summary>The dotnet that runs the tests, so the child build uses the same SDK installation.</summary>
    private static string DotnetPath()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var fromRuntime = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(
            typeof(object).Assembly.Location))))!, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(fromRuntime) ? fromRuntime : "dotnet";
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Describe(string[] arguments) => "dotnet " + string.Join(' ', arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}
