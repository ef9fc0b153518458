namespace Optimizer.Build.Tests;

/// <summary>What the task passes to the CLI: the response file and the <c>dotnet exec</c> command line.</summary>
[TestClass]
public sealed class CompressModelArgumentsTests
{
    [TestMethod]
    public void ResponseFile_AllOptions_OneArgumentPerLineWithEveryPathQuotedAndFull()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine);
        task.Profiles = ["cpu-int8", " gpu-fp16 ", ""];
        task.Config = folder.Write("models/net.compression.yaml", "version: 1");
        task.ConfigOverrides = ["calibration.samples=64", " budgets.max_size=8 MB ", ""];
        task.Calibration = Path.Combine(folder.Root, "models", "calibration") + Path.DirectorySeparatorChar;
        task.OutputName = "classifier";
        task.Verbose = true;
        task.BudgetsAsWarnings = true;
        task.ManifestEntries = Path.Combine(folder.OutputDirectory, "net.manifest.tsv");
        task.DependenciesList = Path.Combine(folder.OutputDirectory, "net.dependencies.txt");

        Assert.IsTrue(task.Execute(), engine.Transcript());

        var expected = new[]
        {
            "compress",
            Quoted(folder.ModelPath),
            "--profile", "cpu-int8",
            "--profile", "gpu-fp16",
            "--config", Quoted(task.Config),
            "--set", "calibration.samples=64",
            "--set", Quoted("budgets.max_size=8 MB"),
            "--calibration", Quoted(Path.Combine(folder.Root, "models", "calibration")),
            "--output-dir", Quoted(folder.OutputDirectory),
            "--output-name", "classifier",
            "--outputs-list", Quoted(folder.OutputsList),
            "--manifest-entries", Quoted(task.ManifestEntries),
            "--dependencies-list", Quoted(task.DependenciesList),
            "--verbose",
            "--budgets-as-warnings",
        };
        CollectionAssert.AreEqual(expected, Lines(task.ResponseFileText));
    }

    [TestMethod]
    public void ResponseFile_OnlyRequiredInputs_LeavesChoicesToTheCli()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine);

        Assert.IsTrue(task.Execute(), engine.Transcript());

        var expected = new[]
        {
            "compress",
            Quoted(folder.ModelPath),
            "--output-dir", Quoted(folder.OutputDirectory),
            "--outputs-list", Quoted(folder.OutputsList),
        };
        CollectionAssert.AreEqual(expected, Lines(task.ResponseFileText));
    }

    [TestMethod]
    public void ResponseFile_RelativePaths_AreMadeFull()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine);
        task.Config = "relative.yaml";

        Assert.IsTrue(task.Execute(), engine.Transcript());

        CollectionAssert.Contains(Lines(task.ResponseFileText), Quoted(Path.GetFullPath("relative.yaml")));
    }

    [TestMethod]
    public void ResponseFile_IsUtf8WithoutByteOrderMark()
    {
        using var folder = new TaskFolder();
        var task = folder.NewTask(new RecordingBuildEngine());

        Assert.AreEqual("UTF-8", task.ResponseEncoding.WebName.ToUpperInvariant());
        Assert.AreEqual(0, task.ResponseEncoding.GetPreamble().Length);
    }

    [TestMethod]
    public void CommandLine_ExecsTheQuotedCliDll()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine);

        Assert.IsTrue(task.Execute(), engine.Transcript());

        Assert.AreEqual($"exec \"{folder.CliPath}\"", task.CommandLine!.Trim());
        StringAssert.EndsWith(Path.GetFileNameWithoutExtension(task.PathToTool!), "dotnet");
    }

    private static string Quoted(string path) => "\"" + path + "\"";

    private static string[] Lines(string? text) => (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
