using Optimizer.Cli.Commands;

namespace Optimizer.Cli;

/// <summary>Entry point of the <c>optimizer</c> command-line tool, which the MSBuild task also runs.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Main(string[] args) => CommandLine.Run(args, Console.Out, Console.Error);
}
