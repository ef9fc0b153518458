namespace Optimizer.Core.Diagnostics;

/// <summary>How bad a diagnostic is.</summary>
public enum DiagnosticSeverity
{
    /// <summary>The result is usable but the user should know something (e.g. ranges from random data).</summary>
    Warning,

    /// <summary>The result could not be produced.</summary>
    Error,
}

/// <summary>One coded message for the user, with the file and position it is about when there is one.</summary>
public sealed record Diagnostic(DiagnosticSeverity Severity, string Code, string Message, string? File = null, int Line = 0, int Column = 0)
{
    /// <summary>
    /// MSBuild's canonical error format (<c>file(line,col): error CODE: message</c>), which ToolTask and IDEs
    /// turn into real build errors without extra parsing code.
    /// </summary>
    public string ToCanonicalString()
    {
        var origin = File ?? "optimizer";
        if (File is not null && Line > 0)
        {
            origin += Column > 0 ? $"({Line},{Column})" : $"({Line})";
        }

        var severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        return $"{origin}: {severity} {Code}: {Message}";
    }
}
