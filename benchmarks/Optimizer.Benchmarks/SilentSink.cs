using Optimizer.Core.Diagnostics;

namespace Optimizer.Benchmarks;

/// <summary>
/// Discards details, except per-phase timings when <see cref="ShowTimings"/> is set (`--timings`): where tool time goes
/// is what tuning it needs. Warnings are printed because a benchmark on a warned-about model may mislead.
/// </summary>
internal sealed class SilentSink : IDiagnosticSink
{
    public static bool ShowTimings { get; set; }

    public void Warn(Diagnostic diagnostic) => Console.Error.WriteLine(diagnostic.ToCanonicalString());

    public void Detail(string message)
    {
        if (ShowTimings && message.Contains(" time: ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine(message);
        }
    }
}
