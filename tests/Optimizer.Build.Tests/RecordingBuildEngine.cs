using System.Collections;
using Microsoft.Build.Framework;

namespace Optimizer.Build.Tests;

/// <summary>
/// A build engine that records what a task logs, with codes, files and lines, so tests can assert on them. Logging is
/// locked, as in MSBuild's own engine, because <see cref="CompressModelBatch"/> logs from several threads.
/// </summary>
internal sealed class RecordingBuildEngine : IBuildEngine
{
    public List<BuildErrorEventArgs> Errors { get; } = [];

    public List<BuildWarningEventArgs> Warnings { get; } = [];

    public List<BuildMessageEventArgs> Messages { get; } = [];

    public bool ContinueOnError => false;

    public int LineNumberOfTaskNode => 0;

    public int ColumnNumberOfTaskNode => 0;

    public string ProjectFileOfTaskNode => "test.csproj";

    /// <summary>Every error code logged, in order.</summary>
    public IReadOnlyList<string> ErrorCodes => Errors.Select(e => e.Code).ToList();

    public void LogErrorEvent(BuildErrorEventArgs e)
    {
        lock (Errors)
        {
            Errors.Add(e);
        }
    }

    public void LogWarningEvent(BuildWarningEventArgs e)
    {
        lock (Warnings)
        {
            Warnings.Add(e);
        }
    }

    public void LogMessageEvent(BuildMessageEventArgs e)
    {
        lock (Messages)
        {
            Messages.Add(e);
        }
    }

    public void LogCustomEvent(CustomBuildEventArgs e)
    {
    }

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
        throw new NotSupportedException("The task under test must not build projects.");

    /// <summary>Everything logged, for failure messages.</summary>
    public string Transcript() => string.Join(Environment.NewLine,
        Errors.Select(e => $"error {e.Code} {e.File}({e.LineNumber},{e.ColumnNumber}): {e.Message}")
            .Concat(Warnings.Select(w => $"warning {w.Code} {w.File}: {w.Message}"))
            .Concat(Messages.Select(m => $"[{m.Importance}] {m.Message}")));
}
