using System.Security.Cryptography;
using Optimizer.EndToEnd.Tests.Infrastructure;
using Optimizer.Runtime;

namespace Optimizer.EndToEnd.Tests;

/// <summary>
/// What CI and release pipelines rely on, built against the packed packages: budgets that fail the build at their
/// line, reports and the manifest in the output, the runtime helper's choice, per-RID publishing, parallel and
/// multi-targeted builds (the content-addressed cache) and determinism.
/// </summary>
[TestClass]
[TestCategory("E2E")]
[DoNotParallelize]
public sealed class ReleasePipelineEndToEndTests
{
    private readonly List<SampleWorkspace> _samples = [];

    /// <summary>Set by MSTest.</summary>
    public TestContext TestContext { get; set; } = null!;

    [TestCleanup]
    public void AttachLogsOnFailure()
    {
        if (TestContext.CurrentTestOutcome == UnitTestOutcome.Passed)
        {
            return;
        }

        ScratchCleanup.KeepForDiagnosis();
        foreach (var log in _samples.SelectMany(s => s.Logs))
        {
            TestContext.AddResultFile(log);
        }
    }

    [TestMethod]
    public void Build_WithABrokenBudget_FailsWithOPT4004AtTheBudgetLine_AndBudgetsAsWarningsLetsItThrough()
    {
        var sample = NewSample(nameof(Build_WithABrokenBudget_FailsWithOPT4004AtTheBudgetLine_AndBudgetsAsWarningsLetsItThrough));
        var yaml = sample.ProjectFile("models/compression.yaml");
        File.WriteAllText(yaml, "version: 1\nbudgets:\n  min_cosine: 0.99\n  max_latency_ratio: 0.01\n");

        var failed = sample.Build();

        Assert.AreNotEqual(0, failed.ExitCode, failed.Describe());
        CollectionAssert.AreEqual(new[] { "OPT4004" }, failed.ErrorCodes.ToArray(), failed.Describe());
        StringAssert.Contains(failed.Output, $"{yaml}(4,22): error OPT4004: Profile 'cpu-int8': the optimized model runs in ", failed.Describe());
        StringAssert.Contains(failed.Output, "over the budget max_latency_ratio 0.01", failed.Describe());
        Assert.IsFalse(File.Exists(sample.OutputFile("models/net.cpu-int8.onnx")), "a broken budget must put no model in bin");

        // At normal verbosity (a later -v wins over the workspace's -v:d): one line per model and profile, no details.
        var exploratory = sample.Build("-p:CompressModelsBudgetsAsWarnings=true", "-v:n");

        exploratory.AssertSucceeded();
        CollectionAssert.Contains(exploratory.WarningCodes.ToArray(), "OPT4004", exploratory.Describe());
        Assert.IsTrue(File.Exists(sample.OutputFile("models/net.cpu-int8.onnx")), exploratory.Describe());
        var optimizerLines = exploratory.Output.Split('\n').Where(l => l.Contains("net.onnx -> ", StringComparison.Ordinal) || l.Contains("report: ", StringComparison.Ordinal) || l.Contains("latency ", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(2, optimizerLines.Count(l => l.Contains("net.onnx -> ", StringComparison.Ordinal)), exploratory.Describe());
        Assert.AreEqual(0, optimizerLines.Count(l => l.Contains("report: ", StringComparison.Ordinal) || l.Contains("] latency ", StringComparison.Ordinal)),
            "details belong to -v:d: " + string.Join(Environment.NewLine, optimizerLines));
    }

    [TestMethod]
    public void Build_WritesReportsAndTheManifest_AndTheAppChoosesTheCpuModelOnThisMachine()
    {
        var sample = NewSample(nameof(Build_WritesReportsAndTheManifest_AndTheAppChoosesTheCpuModelOnThisMachine));

        var build = sample.Build();

        build.AssertSucceeded();
        var markdown = Path.Combine(sample.CompressedDirectory, "models", "net.cpu-int8.report.md");
        Assert.IsTrue(File.Exists(markdown), build.Describe());
        StringAssert.Contains(build.Output, markdown, "report paths are in the detailed build log");
        StringAssert.Contains(File.ReadAllText(markdown), "| latency |");

        var manifest = OptimizedModelManifest.Load(sample.OutputFile(OptimizedModelManifest.FileName));
        CollectionAssert.AreEqual(new[] { "cpu-int8", "gpu-fp16" }, manifest.Models.Select(m => m.Profile).ToArray());
        foreach (var model in manifest.Models)
        {
            var file = sample.OutputFile(model.File);
            Assert.AreEqual("models/net.onnx", model.Model);
            Assert.AreEqual(new FileInfo(file).Length, model.Bytes, model.File);
            Assert.AreEqual(Sha256(file), model.Sha256, model.File);
            Assert.IsTrue(model.Cosine > 0.99, $"{model.File}: cosine {model.Cosine}");
        }

        Assert.AreEqual("CUDAExecutionProvider", manifest.Models[1].ExecutionProvider);
        var app = sample.RunApp();
        Assert.AreEqual(0, app.ExitCode, app.Output);
        StringAssert.Contains(app.Output, $"Chosen for this machine: {Path.Combine("models", "net.cpu-int8.onnx")} (cpu-int8, CPUExecutionProvider)", app.Output);
    }

    [TestMethod]
    public void PublishForARuntimeIdentifier_WithProfileFolders_ShipsOnlyTheProfileThatRidMapsTo()
    {
        var sample = NewSample(nameof(PublishForARuntimeIdentifier_WithProfileFolders_ShipsOnlyTheProfileThatRidMapsTo));
        // As for android-arm64 in the default table: this RID's devices have no CUDA, so only the CPU model ships.
        sample.AddToProject("""<CompressModelProfilesForRid Update="linux-x64" Profiles="cpu-int8" />""");
        var published = sample.ProjectFile("published");

        var publish = sample.Publish(published, "-r", "linux-x64", "-p:CompressModelsOutputLayout=profile-folders");

        publish.AssertSucceeded();
        Assert.IsTrue(File.Exists(Path.Combine(published, "cpu-int8", "models", "net.onnx")), publish.Describe());
        Assert.IsFalse(Directory.Exists(Path.Combine(published, "gpu-fp16")), "the GPU model must not ship for this RID. " + publish.Describe());
        Assert.AreEqual(0, Directory.GetFiles(published, "*.gpu-fp16.onnx", SearchOption.AllDirectories).Length);
        var manifest = OptimizedModelManifest.Load(Path.Combine(published, OptimizedModelManifest.FileName));
        Assert.AreEqual("cpu-int8/models/net.onnx", manifest.Models.Single().File);
    }

    [TestMethod]
    public void ParallelBuild_OfTwoProjectsInDifferentFolders_SucceedsWithByteIdenticalModels()
    {
        var solution = SampleWorkspace.CreateSolution(nameof(ParallelBuild_OfTwoProjectsInDifferentFolders_SucceedsWithByteIdenticalModels), projects: 2);
        _samples.Add(solution);

        var build = solution.Build("-m:2");

        // Each project compresses on its own (each has its own obj/ cache), in its own folder, at the same time: equal
        // hashes prove both that parallel builds do not interfere and that the output is deterministic.
        build.AssertSucceeded();
        foreach (var model in new[] { "models/net.cpu-int8.onnx", "models/net.gpu-fp16.onnx", OptimizedModelManifest.FileName })
        {
            var first = solution.ProjectFile(Path.Combine("app1", "bin", "Debug", "net10.0", model));
            var second = solution.ProjectFile(Path.Combine("app2", "bin", "Debug", "net10.0", model));
            Assert.AreEqual(Sha256(first), Sha256(second), $"{model} differs between the two projects");
        }
    }

    [TestMethod]
    public void Build_OfAMultiTargetedApp_CompressesOnce_AndCopiesTheModelsToBothOutputs()
    {
        var sample = NewSample(nameof(Build_OfAMultiTargetedApp_CompressesOnce_AndCopiesTheModelsToBothOutputs));
        var project = sample.ProjectFile("ImageClassifier.csproj");
        // net9.0 is the other framework this machine can build; the runtime helper is net10.0-only, so this app skips it.
        File.WriteAllText(project, File.ReadAllText(project)
            .Replace("<TargetFramework>net10.0</TargetFramework>", "<TargetFrameworks>net9.0;net10.0</TargetFrameworks><CheckEolTargetFramework>false</CheckEolTargetFramework>", StringComparison.Ordinal)
            .Replace("""<PackageReference Include="Optimizer.Runtime" """, """<PackageReference Condition="'$(TargetFramework)' == 'net10.0'" Include="Optimizer.Runtime" """, StringComparison.Ordinal));
        File.WriteAllText(sample.ProjectFile("Program.cs"), "System.Console.WriteLine(\"models: \" + string.Join(\", \", System.IO.Directory.GetFiles(\"models\")));\n");

        var build = sample.Build();

        build.AssertSucceeded();
        var lines = build.Output.Split('\n');
        Assert.AreEqual(2, lines.Count(l => l.Contains("net.onnx -> ", StringComparison.Ordinal) && l.Contains(" samples, ", StringComparison.Ordinal)),
            "the CLI should compress each profile once. " + build.Describe());
        Assert.AreEqual(2, lines.Count(l => l.Contains("(from cache ", StringComparison.Ordinal)), "the other framework should reuse both profiles. " + build.Describe());
        foreach (var model in new[] { "models/net.cpu-int8.onnx", "models/net.gpu-fp16.onnx" })
        {
            var net9 = sample.ProjectFile(Path.Combine("bin", "Debug", "net9.0", model));
            var net10 = sample.ProjectFile(Path.Combine("bin", "Debug", "net10.0", model));
            Assert.AreEqual(Sha256(net10), Sha256(net9), $"{model} differs between the two frameworks' outputs");
        }
    }

    [TestMethod]
    public void Build_OfTwoModels_CompressesThemConcurrently_WithProgressAtDetailed_AndCleanRemovesTheSensitivityCache()
    {
        var sample = NewSample(nameof(Build_OfTwoModels_CompressesThemConcurrently_WithProgressAtDetailed_AndCleanRemovesTheSensitivityCache));
        // A second model in its own folder, pruned with the sensitivity schedule (the longest work, with progress lines).
        Directory.CreateDirectory(sample.ProjectFile("pruned/calibration"));
        File.Copy(sample.ProjectFile("models/net.onnx"), sample.ProjectFile("pruned/pruned.onnx"));
        foreach (var image in Directory.GetFiles(sample.ProjectFile("models/calibration")))
        {
            File.Copy(image, sample.ProjectFile(Path.Combine("pruned", "calibration", Path.GetFileName(image))));
        }

        File.WriteAllText(sample.ProjectFile("pruned/compression.yaml"), "version: 1\npruning:\n  method: channel\n  sparsity: 25%\n  schedule: sensitivity\n");
        sample.AddToProject("""<CompressModel Include="pruned/pruned.onnx" Profiles="cpu-int8" />""");

        var build = sample.Build("-p:CompressModelsMaxParallel=2");

        build.AssertSucceeded();
        var lines = build.Output.Split('\n');
        StringAssert.Contains(build.Output, "Compressing 2 model(s), up to 2 at a time", build.Describe());
        // Concurrent: each model's first detail line comes before the other's last line (the log is in arrival order).
        int First(string prefix) => Array.FindIndex(lines, l => l.Contains(prefix, StringComparison.Ordinal));
        int Last(string prefix) => Array.FindLastIndex(lines, l => l.Contains(prefix, StringComparison.Ordinal));
        Assert.IsTrue(First("pruned.onnx: ") < Last("net.onnx: ") && First("net.onnx: ") < Last("pruned.onnx: "),
            "the two models were compressed one after the other. " + build.Describe());
        Assert.IsTrue(lines.Any(l => l.Contains("pruned.onnx: [cpu-int8] sensitivity layer 1/", StringComparison.Ordinal)), "sensitivity progress at -v:d. " + build.Describe());
        Assert.IsTrue(lines.Any(l => l.Contains("net.onnx: [gpu-fp16] profile 2/2", StringComparison.Ordinal)), "profile progress at -v:d. " + build.Describe());
        var sensitivityTables = Directory.GetFiles(sample.CompressedDirectory, "sensitivity-*.json", SearchOption.AllDirectories);
        Assert.AreEqual(1, sensitivityTables.Length, build.Describe());

        // At normal verbosity, with both models compressed again (the cache off): one line per model and profile.
        File.SetLastWriteTimeUtc(sample.ProjectFile("models/net.onnx"), DateTime.UtcNow.AddSeconds(2));
        File.SetLastWriteTimeUtc(sample.ProjectFile("pruned/pruned.onnx"), DateTime.UtcNow.AddSeconds(2));
        var quiet = sample.Build("-p:CompressModelsCache=false", "-v:n");

        quiet.AssertSucceeded();
        var quietLines = quiet.Output.Split('\n');
        Assert.AreEqual(3, quietLines.Count(l => l.Contains(".onnx -> ", StringComparison.Ordinal)), "net.onnx x2 profiles + pruned.onnx x1. " + quiet.Describe());
        string[] details = ["sensitivity layer", "] profile ", "Loaded ", "report: ", "Compressing 2 model(s)"];
        Assert.IsFalse(quietLines.Any(l => details.Any(d => l.Contains(d, StringComparison.Ordinal))), "progress and details belong to -v:d. " + quiet.Describe());

        // The sensitivity tables are build state under obj/: clean removes them; the content-addressed cache stays.
        var clean = sample.Clean();

        clean.AssertSucceeded();
        Assert.IsFalse(File.Exists(sensitivityTables[0]), "dotnet clean left the sensitivity table. " + clean.Describe());
        Assert.AreNotEqual(0, Directory.GetFiles(sample.ProjectFile("obj/optimizer-cache"), "*", SearchOption.AllDirectories).Length,
            "obj/optimizer-cache is meant to survive dotnet clean (src/Optimizer.Build/README.md)");
    }

    private SampleWorkspace NewSample(string name)
    {
        var sample = SampleWorkspace.Create(name);
        _samples.Add(sample);
        return sample;
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
