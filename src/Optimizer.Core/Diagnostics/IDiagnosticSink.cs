namespace Optimizer.Core.Diagnostics;

/// <summary>Receives warnings and progress while the engine works; the CLI prints them, tests record them.</summary>
public interface IDiagnosticSink
{
    /// <summary>Reports a coded warning; errors are thrown as <see cref="OptimizerException"/> instead.</summary>
    void Warn(Diagnostic diagnostic);

    /// <summary>Reports progress or detail that is shown only at detailed verbosity.</summary>
    void Detail(string message);
}
