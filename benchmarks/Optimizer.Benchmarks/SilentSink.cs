using Optimizer.Core.Diagnostics;

namespace Optimizer.Benchmarks;

/// <summary>Discards details; warnings are printed because a benchmark on a warned-about model may mislead.</summary>
internal sealed class SilentSink : IDiagnosticSink
{
    public void Warn(Diagnostic diagnostic) => Console.Error.WriteLine(diagnostic.ToCanonicalString());

    public void Detail(string message)
    {
    }
}
