using System.Security;
using System.Text.RegularExpressions;

namespace Optimizer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The package sources and global packages folder of the machine running the tests, read through the dotnet CLI so
/// the scenarios use the same registry (for ONNX Runtime) as the repository's own restore, wherever it is configured.
/// </summary>
internal static partial class NuGetSettings
{
    /// <summary>A nuget.config for a scenario: only the local feed and this machine's enabled sources.</summary>
    public static string ConfigFor(string localFeed, string workingDirectory)
    {
        var sources = EnabledSources(workingDirectory);
        var fallback = GlobalPackagesFolder(workingDirectory);
        var entries = string.Join(Environment.NewLine, sources.Select((source, i) =>
            $"""    <add key="registry{i}" value="{SecurityElement.Escape(source)}" />"""));
        // The machine's global packages folder is a read-only fallback: ONNX Runtime (hundreds of MB) is already
        // there from the repository's restore; Optimizer.Build's unique version never is, so it comes from the feed.
        var fallbackEntry = fallback is null ? "" : $"""
              <fallbackPackageFolders>
                <add key="machine" value="{SecurityElement.Escape(fallback)}" />
              </fallbackPackageFolders>
            """;
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="optimizer-e2e" value="{SecurityElement.Escape(localFeed)}" />
            {entries}
              </packageSources>
            {fallbackEntry}
            </configuration>
            """;
    }

    private static IReadOnlyList<string> EnabledSources(string workingDirectory)
    {
        var result = DotnetCommand.Run(workingDirectory, new Dictionary<string, string>(), TimeSpan.FromMinutes(1),
            "nuget", "list", "source", "--format", "short");
        var sources = result.Output.Split('\n')
            .Select(line => EnabledSourceLine().Match(line.Trim()))
            .Where(match => match.Success)
            .Select(match => match.Groups[1].Value.Trim())
            .ToList();
        if (result.ExitCode != 0 || sources.Count == 0)
        {
            throw new InvalidOperationException($"Could not read this machine's NuGet sources:{Environment.NewLine}{result.Output}");
        }

        return sources;
    }

    private static string? GlobalPackagesFolder(string workingDirectory)
    {
        var result = DotnetCommand.Run(workingDirectory, new Dictionary<string, string>(), TimeSpan.FromMinutes(1),
            "nuget", "locals", "global-packages", "--list");
        var match = GlobalPackagesLine().Match(result.Output);
        return match.Success && Directory.Exists(match.Groups[1].Value.Trim()) ? match.Groups[1].Value.Trim() : null;
    }

    [GeneratedRegex(@"^E\S*\s+(\S.*)$")]
    private static partial Regex EnabledSourceLine();

    [GeneratedRegex(@"global-packages:\s*(.+)")]
    private static partial Regex GlobalPackagesLine();
}
