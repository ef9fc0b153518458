using System.CommandLine;
using Optimizer.Cli.Commands;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Cli;

/// <summary>
/// Builds the command tree and runs it. Every failure, usage errors included, ends as a coded canonical error line
/// and a non-zero exit code, so the MSBuild task never shows a bare "exited with code 1".
/// </summary>
internal static class CommandLine
{
    /// <summary>Exit code for a usage error.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a failed command.</summary>
    public const int Failure = 1;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Optimizer: prune, quantize and convert ONNX models for their target hardware.")
        {
            CompressCommand.Create(output, error),
            InspectCommand.Create(output, error),
            ConfigCommand.Create(output, error),
            InitCommand.Create(output, error),
            ReportCommand.Create(output, error),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                error.WriteLine(new Diagnostic(DiagnosticSeverity.Error, ErrorCodes.InvalidArguments,
                    $"{parseError.Message} Run 'optimizer --help' for usage.").ToCanonicalString());
            }

            return UsageError;
        }

        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>Runs a command body, turning engine errors and unexpected exceptions into coded error lines.</summary>
    public static int Guarded(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OptimizerException ex)
        {
            error.WriteLine(ex.ToDiagnostic().ToCanonicalString());
            return Failure;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error.WriteLine(new Diagnostic(DiagnosticSeverity.Error, ErrorCodes.Internal,
                $"Unexpected {ex.GetType().Name}: {ex.Message}. This is a bug in the optimizer; please report it with the model if you can.").ToCanonicalString());
            error.WriteLine(ex.StackTrace);
            return Failure;
        }
    }
}
