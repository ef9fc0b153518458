using Microsoft.Build.Utilities;

namespace Optimizer.Build.Tests;

/// <summary>The content-addressed cache: identical inputs reuse a result without running the CLI; any change misses.</summary>
[TestClass]
public sealed class CompressionCacheTests
{
    [TestMethod]
    public void SameInputs_InAnotherOutputFolder_AreRestoredFromTheCacheWithoutRunningTheCli()
    {
        using var folder = new TaskFolder();
        var yaml = folder.Write("models/compression.yaml", "version: 1");
        var first = NewTask(folder, new RecordingBuildEngine(), "net10.0", yaml);
        Assert.IsTrue(first.Execute());
        Assert.IsNotNull(first.ResponseFileText, "the first build compresses");

        var engine = new RecordingBuildEngine();
        var second = NewTask(folder, engine, "net9.0", yaml);

        Assert.IsTrue(second.Execute(), engine.Transcript());

        Assert.IsNull(second.ResponseFileText, "a cache hit must not run the CLI");
        var restored = Path.Combine(second.OutputDirectory, "net.cpu-int8.onnx");
        CollectionAssert.AreEqual(new[] { restored }, File.ReadAllLines(second.OutputsList));
        Assert.AreEqual("int8 model", File.ReadAllText(restored));
        Assert.IsTrue(File.Exists(Path.Combine(second.OutputDirectory, "net.cpu-int8.report.json")), "reports are restored too");
        StringAssert.Contains(File.ReadAllText(second.ManifestEntries!), $"cpu-int8\tCPUExecutionProvider\t{restored}\t10\tab12\t0.999\t0.98\n");
        Assert.IsTrue(engine.Messages.Any(m => m.Importance == Microsoft.Build.Framework.MessageImportance.High && m.Message?.StartsWith($"net.onnx -> {restored}  (from cache ", StringComparison.Ordinal) == true), engine.Transcript());
    }

    [TestMethod]
    [DataRow("yaml")]
    [DataRow("profiles")]
    [DataRow("model")]
    public void ChangedInput_MissesTheCache(string change)
    {
        using var folder = new TaskFolder();
        var yaml = folder.Write("models/compression.yaml", "version: 1");
        Assert.IsTrue(NewTask(folder, new RecordingBuildEngine(), "a", yaml).Execute());
        switch (change)
        {
            case "yaml": File.WriteAllText(yaml, "version: 1\nbudgets: { min_cosine: 0.99 }\n"); break;
            case "model": File.WriteAllText(folder.ModelPath, "another model"); break;
        }

        var again = NewTask(folder, new RecordingBuildEngine(), "b", yaml);
        if (change == "profiles")
        {
            again.Profiles = ["gpu-fp16"];
        }

        Assert.IsTrue(again.Execute());

        Assert.IsNotNull(again.ResponseFileText, $"a changed {change} must compress again");
    }

    [TestMethod]
    public void UnusableCacheFolder_CompressesWithoutIt_AndTheBuildSucceeds()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = NewTask(folder, engine, "a", folder.Write("models/compression.yaml", "version: 1"));
        task.CacheDirectory = folder.Write("obj/not-a-folder", "a file where the cache folder should be");

        Assert.IsTrue(task.Execute(), engine.Transcript());

        Assert.IsNotNull(task.ResponseFileText, "the model is compressed as if there were no cache");
        Assert.AreEqual(0, engine.Warnings.Count + engine.Errors.Count, engine.Transcript());
    }

    private static FakeCliRun NewTask(TaskFolder folder, RecordingBuildEngine engine, string tfm, string yaml)
    {
        var task = folder.NewTask(engine);
        task.OutputDirectory = Directory.CreateDirectory(Path.Combine(folder.Root, "obj", tfm, "compressed", "models")).FullName;
        task.OutputsList = Path.Combine(task.OutputDirectory, "net.outputs.txt");
        task.ManifestEntries = Path.Combine(task.OutputDirectory, "net.manifest.tsv");
        task.CacheDirectory = Path.Combine(folder.Root, "obj", "optimizer-cache");
        task.Profiles = ["cpu-int8"];
        task.Dependencies = [new TaskItem(yaml)];
        return task;
    }
}
