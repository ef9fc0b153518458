using System.Runtime.InteropServices;

namespace Optimizer.Build;

/// <summary>Finds the <c>dotnet</c> executable that runs the CLI.</summary>
internal static class DotnetHost
{
    /// <summary>The host's file name on this OS.</summary>
    public static string ExecutableName => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";

    /// <summary>
    /// The host that runs this build (the SDK sets <c>DOTNET_HOST_PATH</c> for tasks), so the CLI runs on the same .NET
    /// as the build even when another dotnet comes first on PATH; otherwise the bare name, which ToolTask finds on PATH.
    /// </summary>
    public static string Resolve()
    {
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(hostPath) && File.Exists(hostPath) ? hostPath! : ExecutableName;
    }
}
