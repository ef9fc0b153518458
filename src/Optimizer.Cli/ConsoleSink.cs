using Optimizer.Core.Diagnostics;

namespace Optimizer.Cli;

/// <summary>
/// Prints diagnostics in MSBuild's canonical format on stderr (so the MSBuild task and IDEs show them in place)
/// and detail lines on stdout only when <c>--verbose</c> is on.
/// </summary>
internal sealed class ConsoleSink(TextWriter output, TextWriter error, bool verbose) : IDiagnosticSink
{
    /// <summary>True once any warning has been printed.</summary>
    public int WarningCount { get; private set; }

    public void Warn(Diagnostic diagnostic)
    {
        WarningCount++;
        error.WriteLine(diagnostic.ToCanonicalString());
    }

    public void Detail(string message)
    {
        if (verbose)
        {
            output.WriteLine($"  {message}");
        }
    }

    /// <summary>Prints an error; the caller then exits non-zero.</summary>
    public void Fail(Diagnostic diagnostic) => error.WriteLine(diagnostic.ToCanonicalString());
}
