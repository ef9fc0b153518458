namespace Optimizer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A copy of samples/ImageClassifier in its own folder, built against the packed feed the way a user's app would be:
/// a nuget.config with only the feed and the registry, a Directory.Build.props that stops imports from folders above
/// (and pins the package version), and the run's isolated NuGet packages folder.
/// </summary>
internal sealed class SampleWorkspace
{
    private readonly PackageFeed _feed;
    private readonly List<string> _logs = [];

    private SampleWorkspace(PackageFeed feed, string directory)
    {
        _feed = feed;
        Directory = directory;
    }

    /// <summary>The binary and text logs of every command run so far.</summary>
    public IReadOnlyList<string> Logs => _logs;

    /// <summary>The project folder.</summary>
    public string Directory { get; }

    /// <summary>The build output folder.</summary>
    public string OutputDirectory => Path.Combine(Directory, "bin", "Debug", "net10.0");

    /// <summary>Where the compressed models are written before they are copied to the output.</summary>
    public string CompressedDirectory => Path.Combine(Directory, "obj", "Debug", "net10.0", "compressed");

    /// <summary>A fresh copy of the sample for the scenario <paramref name="name"/>.</summary>
    public static SampleWorkspace Create(string name)
    {
        var (feed, directory) = EmptyWorkspace(name);
        CopySample(RepositoryPaths.Sample, directory);
        return WithUserFiles(feed, directory);
    }

    /// <summary>
    /// A solution (<c>apps.slnx</c>) of <paramref name="projects"/> copies of the sample, in <c>app1/</c>, <c>app2/</c>, ...
    /// (the project files renamed <c>App1.csproj</c>, ... so the solution's project names are unique).
    /// </summary>
    public static SampleWorkspace CreateSolution(string name, int projects)
    {
        var (feed, directory) = EmptyWorkspace(name);
        var entries = new List<string>();
        for (var i = 1; i <= projects; i++)
        {
            var folder = Path.Combine(directory, $"app{i}");
            CopySample(RepositoryPaths.Sample, folder);
            File.Move(Path.Combine(folder, "ImageClassifier.csproj"), Path.Combine(folder, $"App{i}.csproj"));
            entries.Add($"""  <Project Path="app{i}/App{i}.csproj" />""");
        }

        File.WriteAllText(Path.Combine(directory, "apps.slnx"), $"<Solution>\n{string.Join("\n", entries)}\n</Solution>\n");
        return WithUserFiles(feed, directory);
    }

    private static (PackageFeed Feed, string Directory) EmptyWorkspace(string name)
    {
        var feed = PackageFeed.Get();
        var directory = Path.Combine(feed.RunDirectory, name);
        if (System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }

        return (feed, directory);
    }

    private static SampleWorkspace WithUserFiles(PackageFeed feed, string directory)
    {
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), $"""
            <Project>
              <!-- Stops MSBuild from importing Directory.Build.props files of the folders above. -->
              <PropertyGroup>
                <OptimizerVersion>{feed.Version}</OptimizerVersion>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "nuget.config"), NuGetSettings.ConfigFor(feed.FeedDirectory, directory));
        return new SampleWorkspace(feed, directory);
    }

    /// <summary>The path of <paramref name="relative"/> in the project folder.</summary>
    public string ProjectFile(string relative) => Path.Combine(Directory, relative);

    /// <summary>The path of <paramref name="relative"/> in the build output folder.</summary>
    public string OutputFile(string relative) => Path.Combine(OutputDirectory, relative);

    /// <summary><c>dotnet build</c> with a binary log and detailed console output.</summary>
    public BuildResult Build(params string[] extraArguments) => Run("build", extraArguments);

    /// <summary><c>dotnet publish</c> into <paramref name="publishDirectory"/>.</summary>
    public BuildResult Publish(string publishDirectory, params string[] extraArguments) => Run("publish", ["-o", publishDirectory, .. extraArguments]);

    /// <summary>Runs the built app (<c>dotnet exec bin/Debug/net10.0/ImageClassifier.dll</c>) and returns its output.</summary>
    public CommandResult RunApp() => DotnetCommand.Run(Directory, new Dictionary<string, string>(), TimeSpan.FromMinutes(2),
        "exec", Path.Combine(OutputDirectory, "ImageClassifier.dll"));

    /// <summary>Adds <paramref name="itemGroupBody"/> to the project file in its own ItemGroup, as a user would.</summary>
    public void AddToProject(string itemGroupBody)
    {
        var project = ProjectFile("ImageClassifier.csproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", $"  <ItemGroup>\n    {itemGroupBody}\n  </ItemGroup>\n</Project>", StringComparison.Ordinal));
    }

    /// <summary><c>dotnet clean</c>.</summary>
    public BuildResult Clean() => Run("clean", []);

    private BuildResult Run(string verb, string[] extraArguments)
    {
        var index = _logs.Count / 2 + 1;
        var binlog = Path.Combine(Directory, $"{index:D2}-{verb}.binlog");
        var log = Path.Combine(Directory, $"{index:D2}-{verb}.log");
        string[] arguments = [verb, $"-bl:{binlog}", "-nodeReuse:false", "--disable-build-servers", "-tl:off", "-v:d", .. extraArguments];
        var result = DotnetCommand.Run(Directory, new Dictionary<string, string> { ["NUGET_PACKAGES"] = _feed.PackagesDirectory },
            TimeSpan.FromMinutes(8), arguments);
        File.WriteAllText(log, result.Output);
        _logs.Add(binlog);
        _logs.Add(log);
        return new BuildResult(result, binlog, log);
    }

    private static void CopySample(string source, string destination)
    {
        System.IO.Directory.CreateDirectory(destination);
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var top = relative.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj" || relative == "nuget.config")
            {
                continue;
            }

            var target = Path.Combine(destination, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
