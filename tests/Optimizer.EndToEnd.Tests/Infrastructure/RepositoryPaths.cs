namespace Optimizer.EndToEnd.Tests.Infrastructure;

/// <summary>Locations in the repository the tests run from.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The folder holding Optimizer.sln.</summary>
    public static string Root => RootLazy.Value;

    /// <summary>The projects packed into the feed: the build package and the runtime helper the sample references.</summary>
    public static IReadOnlyList<string> PackageProjects =>
    [
        Path.Combine(Root, "src", "Optimizer.Build", "Optimizer.Build.csproj"),
        Path.Combine(Root, "src", "Optimizer.Runtime", "Optimizer.Runtime.csproj"),
    ];

    /// <summary>The sample app the end-to-end tests build.</summary>
    public static string Sample => Path.Combine(Root, "samples", "ImageClassifier");

    /// <summary>The sample's committed models folder.</summary>
    public static string SampleModels => Path.Combine(Sample, "models");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Optimizer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Optimizer.sln above {AppContext.BaseDirectory}.");
    }
}
