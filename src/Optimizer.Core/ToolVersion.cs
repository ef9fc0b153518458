using System.Reflection;

namespace Optimizer.Core;

/// <summary>The engine's version, stamped into every output model and report so results can be traced to the tool that made them.</summary>
public static class ToolVersion
{
    /// <summary>The informational version of Optimizer.Core (e.g. <c>0.1.0+abc123</c>).</summary>
    public static string Current { get; } =
        typeof(ToolVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ToolVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
