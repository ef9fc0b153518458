namespace Optimizer.Core.Diagnostics;

/// <summary>
/// Puts what a pass reports in context: warnings without a file are attributed to the model being compressed (so the
/// build shows them on the model, not on "optimizer"), and detail lines are prefixed with the profile they belong to
/// (none for work shared by every profile, such as loading calibration data).
/// </summary>
public sealed class ScopedSink(IDiagnosticSink inner, string modelPath, string? profile = null) : IDiagnosticSink
{
    /// <inheritdoc/>
    public void Warn(Diagnostic diagnostic) => inner.Warn(diagnostic.File is null ? diagnostic with { File = modelPath } : diagnostic);

    /// <inheritdoc/>
    public void Detail(string message) => inner.Detail(profile is null ? message : $"[{profile}] {message}");
}
