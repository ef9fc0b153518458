namespace Optimizer.Core.Diagnostics;

/// <summary>
/// A user-facing failure with a stable code (<c>OPT1xxx</c> config, <c>OPT2xxx</c> model, <c>OPT3xxx</c> calibration,
/// <c>OPT4xxx</c> budget) and, where known, the file and position it is about, so every front door can show it in place.
/// </summary>
public sealed class OptimizerException : Exception
{
    /// <summary>Creates an error with its code, message and optional location.</summary>
    public OptimizerException(string code, string message, string? file = null, int line = 0, int column = 0, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        File = file;
        Line = line;
        Column = column;
    }

    /// <summary>The stable diagnostic code, documented in docs/diagnostics.md.</summary>
    public string Code { get; }

    /// <summary>The file the error is about, or null when it concerns no file.</summary>
    public string? File { get; }

    /// <summary>1-based line in <see cref="File"/>, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column in <see cref="File"/>, or 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>The error as a diagnostic, for printing.</summary>
    public Diagnostic ToDiagnostic() => new(DiagnosticSeverity.Error, Code, Message, File, Line, Column);
}
