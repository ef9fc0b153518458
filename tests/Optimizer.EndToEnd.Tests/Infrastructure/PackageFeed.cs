using System.Globalization;

namespace Optimizer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Optimizer.Build packed once per test run, with a unique prerelease version so that no NuGet cache can hold a stale
/// copy, into a feed folder the scenarios restore from. Packages restore into one isolated folder shared by the run.
/// </summary>
internal sealed class PackageFeed
{
    private static readonly Lazy<PackageFeed> Instance = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    private PackageFeed(string runDirectory, string version)
    {
        RunDirectory = runDirectory;
        Version = version;
    }

    /// <summary>The run's scratch folder: feed/, packages/ and one folder per scenario.</summary>
    public string RunDirectory { get; }

    /// <summary>The version packed.</summary>
    public string Version { get; }

    /// <summary>The folder holding the .nupkg.</summary>
    public string FeedDirectory => Path.Combine(RunDirectory, "feed");

    /// <summary>NUGET_PACKAGES for every scenario of this run.</summary>
    public string PackagesDirectory => Path.Combine(RunDirectory, "packages");

    /// <summary>The packed feed, packing it on first use.</summary>
    public static PackageFeed Get() => Instance.Value;

    /// <summary>Whether a feed was packed during this run.</summary>
    public static bool IsCreated => Instance.IsValueCreated;

    private static PackageFeed Pack()
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var version = $"0.1.0-e2e.{stamp}.{Environment.ProcessId}";
        var runDirectory = Path.Combine(Path.GetTempPath(), "optimizer-e2e", $"{stamp}-{Environment.ProcessId}");
        Directory.CreateDirectory(runDirectory);
        var feed = new PackageFeed(runDirectory, version);

        // Built under the run's own artifacts folder, not the repository's bin/obj: a `dotnet test Optimizer.sln` builds
        // the same projects in parallel, and two builds writing one obj folder with different versions would collide.
        foreach (var project in RepositoryPaths.PackageProjects)
        {
            var result = DotnetCommand.Run(RepositoryPaths.Root, new Dictionary<string, string>(), TimeSpan.FromMinutes(10),
                "pack", project, "-c", "Release", $"-p:Version={version}", "-o", feed.FeedDirectory,
                "--artifacts-path", Path.Combine(runDirectory, "artifacts"), "-nodeReuse:false", "--disable-build-servers", "-tl:off");
            var id = Path.GetFileNameWithoutExtension(project);
            File.WriteAllText(Path.Combine(runDirectory, $"pack-{id}.log"), result.Output);
            if (result.ExitCode != 0 || !File.Exists(Path.Combine(feed.FeedDirectory, $"{id}.{version}.nupkg")))
            {
                throw new InvalidOperationException($"{result.CommandLine} failed with exit code {result.ExitCode}:{Environment.NewLine}{BuildResult.Tail(result.Output, 80)}");
            }
        }

        return feed;
    }
}
