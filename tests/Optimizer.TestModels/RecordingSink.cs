using Optimizer.Core.Diagnostics;

namespace Optimizer.TestModels;

/// <summary>An <see cref="IDiagnosticSink"/> that keeps everything it is told, so tests can assert on warnings and details.</summary>
public sealed class RecordingSink : IDiagnosticSink
{
    private readonly Lock _gate = new();

    /// <summary>Every warning, in the order reported.</summary>
    public List<Diagnostic> Warnings { get; } = [];

    /// <summary>Every detail message, in the order reported.</summary>
    public List<string> Details { get; } = [];

    /// <inheritdoc/>
    public void Warn(Diagnostic diagnostic)
    {
        // The engine may report from parallel work; keep the lists consistent.
        lock (_gate)
        {
            Warnings.Add(diagnostic);
        }
    }

    /// <inheritdoc/>
    public void Detail(string message)
    {
        lock (_gate)
        {
            Details.Add(message);
        }
    }
}
