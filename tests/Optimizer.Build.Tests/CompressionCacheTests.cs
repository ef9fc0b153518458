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

    [TestMethod]
    public void FilesTheCliRead_Unchanged_InAnotherCheckout_HitTheCache_AndAreListedThere()
    {
        using var first = new TaskFolder();
        using var checkout = new TaskFolder();
        var cache = Path.Combine(first.Root, "obj", "optimizer-cache");
        Assert.IsTrue(SamplesElsewhere(first, new RecordingBuildEngine(), "a", cache).Execute());

        var engine = new RecordingBuildEngine();
        var again = SamplesElsewhere(checkout, engine, "a", cache);

        Assert.IsTrue(again.Execute(), engine.Transcript());

        Assert.IsNull(again.ResponseFileText, "the same tree in another folder must reuse the result: " + engine.Transcript());
        // The targets watch these from now on, so they must name this checkout's files, not the first one's.
        CollectionAssert.AreEquivalent(
            new[] { Yaml(checkout), Sample(checkout, "a.npy"), Sample(checkout, "b.npy"), Samples(checkout) + Path.DirectorySeparatorChar },
            File.ReadAllLines(again.DependenciesList!));
    }

    [TestMethod]
    [DataRow("changed")]
    [DataRow("deleted")]
    [DataRow("added")]
    public void SampleFolderOnlyTheCliKnew_Changed_MissesTheCache(string change)
    {
        using var folder = new TaskFolder();
        var cache = Path.Combine(folder.Root, "obj", "optimizer-cache");
        Assert.IsTrue(SamplesElsewhere(folder, new RecordingBuildEngine(), "a", cache).Execute());
        switch (change)
        {
            case "changed": File.WriteAllText(Sample(folder, "b.npy"), "other sample"); break;
            case "deleted": File.Delete(Sample(folder, "b.npy")); break;
            case "added": File.WriteAllText(Sample(folder, "0.npy"), "a sample that sorts first"); break;
        }

        var again = SamplesElsewhere(folder, new RecordingBuildEngine(), "b", cache);

        Assert.IsTrue(again.Execute());

        Assert.IsNotNull(again.ResponseFileText, $"a sample {change} in the YAML's calibration folder must compress again");
    }

    [TestMethod]
    public void ChangedSample_ChangedBack_HitsTheFirstResult_WhichWasKeptBesideTheSecond()
    {
        using var folder = new TaskFolder();
        var cache = Path.Combine(folder.Root, "obj", "optimizer-cache");
        Assert.IsTrue(SamplesElsewhere(folder, new RecordingBuildEngine(), "a", cache).Execute());
        File.WriteAllText(Sample(folder, "a.npy"), "edited sample");
        Assert.IsNotNull(Run(SamplesElsewhere(folder, new RecordingBuildEngine(), "b", cache)).ResponseFileText, "edited: a miss");

        File.WriteAllText(Sample(folder, "a.npy"), "sample a.npy");

        Assert.IsNull(Run(SamplesElsewhere(folder, new RecordingBuildEngine(), "c", cache)).ResponseFileText, "back as it was: the first result again");
    }

    private static FakeCliRun Run(FakeCliRun task)
    {
        Assert.IsTrue(task.Execute());
        return task;
    }

    // A model whose compression.yaml points calibration.data at a folder outside the model's folder, which neither
    // the targets nor the cache key know about: only the CLI's dependencies list names it and its samples.
    private static FakeCliRun SamplesElsewhere(TaskFolder folder, RecordingBuildEngine engine, string tfm, string cache)
    {
        if (!File.Exists(Yaml(folder)))
        {
            folder.Write("models/compression.yaml", "version: 1\ncalibration: { data: ../data/samples/ }\n");
            folder.Write("data/samples/a.npy", "sample a.npy");
            folder.Write("data/samples/b.npy", "sample b.npy");
        }

        var task = NewTask(folder, engine, tfm, Yaml(folder));
        task.CacheDirectory = cache;
        task.FilesRead.AddRange([Yaml(folder), Sample(folder, "a.npy"), Sample(folder, "b.npy"), Samples(folder) + "/"]);
        return task;
    }

    private static string Yaml(TaskFolder folder) => Path.Combine(folder.Root, "models", "compression.yaml");

    private static string Samples(TaskFolder folder) => Path.Combine(folder.Root, "data", "samples");

    private static string Sample(TaskFolder folder, string name) => Path.Combine(Samples(folder), name);

    private static FakeCliRun NewTask(TaskFolder folder, RecordingBuildEngine engine, string tfm, string yaml)
    {
        var task = folder.NewTask(engine);
        task.OutputDirectory = Directory.CreateDirectory(Path.Combine(folder.Root, "obj", tfm, "compressed", "models")).FullName;
        task.OutputsList = Path.Combine(task.OutputDirectory, "net.outputs.txt");
        task.ManifestEntries = Path.Combine(task.OutputDirectory, "net.manifest.tsv");
        task.DependenciesList = Path.Combine(task.OutputDirectory, "net.dependencies.txt");
        task.CacheDirectory = Path.Combine(folder.Root, "obj", "optimizer-cache");
        task.Profiles = ["cpu-int8"];
        task.Dependencies = [new TaskItem(yaml)];
        return task;
    }
}
