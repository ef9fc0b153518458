using Microsoft.Build.Framework;

namespace Optimizer.Build.Tests;

/// <summary>
/// The cache's size limit: after a store, least recently used results are evicted until the folder fits, never the
/// result just stored nor one another build holds, and a restore racing an eviction completes or misses.
/// </summary>
[TestClass]
public sealed class CacheEvictionTests
{
    [TestMethod]
    public void OverTheLimit_EvictsTheLeastRecentlyUsed_AndAHitCountsAsAUse()
    {
        using var folder = new TaskFolder();
        var a = Store(folder, "model a", maxSize: 0);
        var b = Store(folder, "model b", maxSize: 0);
        var c = Store(folder, "model c", maxSize: 0);
        var entryBytes = SizeOf(a);
        // Stored in the order a, b, c; then a is used again, which makes b the least recently used.
        LastUsed(a, hoursAgo: 3);
        LastUsed(b, hoursAgo: 2);
        LastUsed(c, hoursAgo: 1);
        Assert.IsNull(Build(folder, "model a", maxSize: 0).ResponseFileText, "model a again must be a cache hit");

        var engine = new RecordingBuildEngine();
        var d = Store(folder, "model d", maxSize: (3 * entryBytes) + (entryBytes / 2), engine);

        Assert.IsFalse(Directory.Exists(b), "the least recently used result is evicted: " + engine.Transcript());
        Assert.IsTrue(Directory.Exists(a) && Directory.Exists(c) && Directory.Exists(d), "one eviction brings four results under a limit of three and a half");
        var keyOfB = Path.GetFileName(Path.GetDirectoryName(b))!;
        Assert.IsTrue(
            engine.Messages.Any(m => m.Importance == MessageImportance.Normal && m.Message!.Contains($"evicted {keyOfB.Substring(0, 12)}/", StringComparison.Ordinal)),
            engine.Transcript());
        Assert.AreEqual(0, engine.Warnings.Count + engine.Errors.Count, engine.Transcript());
    }

    [TestMethod]
    public void TheResultJustStored_IsKept_EvenWhenItAloneIsOverTheLimit()
    {
        using var folder = new TaskFolder();
        var a = Store(folder, "model a", maxSize: 1);
        Assert.IsTrue(Directory.Exists(a), "alone over the limit, the result just stored is kept");

        var engine = new RecordingBuildEngine();
        var b = Store(folder, "model b", maxSize: 1, engine);

        Assert.IsFalse(Directory.Exists(a), engine.Transcript());
        Assert.IsTrue(Directory.Exists(b), engine.Transcript());
        Assert.IsTrue(engine.Messages.Any(m => m.Importance == MessageImportance.Normal && m.Message!.Contains("over CompressModelsCacheMaxSize", StringComparison.Ordinal)), engine.Transcript());
        Assert.IsNull(Build(folder, "model b", maxSize: 1).ResponseFileText, "the kept result is a hit");
    }

    [TestMethod]
    public void LimitZero_KeepsEveryResult()
    {
        using var folder = new TaskFolder();

        var stored = new[] { "model a", "model b", "model c" }.Select(model => Store(folder, model, maxSize: 0)).ToList();

        Assert.IsTrue(stored.All(Directory.Exists));
    }

    [TestMethod]
    public void AResultWhoseKeyAnotherBuildHolds_IsKept_AndEvictedOnceReleased()
    {
        using var folder = new TaskFolder();
        var a = Store(folder, "model a", maxSize: 0);
        var cache = new CompressionCache(CacheOf(folder));

        using (cache.Lock(KeyOf(a), TimeSpan.Zero))
        {
            Store(folder, "model b", maxSize: 1);
            Assert.IsTrue(Directory.Exists(a), "another build holds the key: it may be reading the result");
        }

        Store(folder, "model c", maxSize: 1);

        Assert.IsFalse(Directory.Exists(a), "released, it is evicted like any other");
    }

    [TestMethod]
    public void EvictedWhileBeingRestored_IsAMiss_AndLeavesNothingOfIt()
    {
        using var folder = new TaskFolder();
        Store(folder, "model a", maxSize: 0);
        var cache = new CompressionCache(CacheOf(folder));
        var entry = cache.Scan().Entries.Single();
        var copies = 0;
        // Another build evicts it after the model was copied and before the report is.
        cache.BeforeRestoreCopy = _ =>
        {
            if (++copies == 2)
            {
                Assert.IsTrue(new CompressionCache(CacheOf(folder)).TryEvict(entry, heldKey: ""), "nothing holds the key in this test");
            }
        };
        var output = Path.Combine(folder.Root, "obj", "other", "models");

        var restored = Restore(cache, entry, folder, output);

        Assert.AreEqual(2, copies, "the eviction happened in the middle of the restore");
        Assert.IsNull(restored, "a result evicted mid-copy is a miss");
        Assert.IsFalse(File.Exists(Path.Combine(output, "net.outputs.txt")), "no outputs list: the targets would take the result as complete");
        Assert.IsFalse(File.Exists(Path.Combine(output, "net.manifest.tsv")));
        Assert.IsFalse(File.Exists(Path.Combine(output, "net.cpu-int8.onnx")), "the half that was copied is removed");
    }

    [TestMethod]
    public void EvictionTriedWhileTheReaderHoldsTheKey_KeepsTheResult_AndTheRestoreCompletes()
    {
        using var folder = new TaskFolder();
        Store(folder, "model a", maxSize: 0);
        var cache = new CompressionCache(CacheOf(folder));
        var entry = cache.Scan().Entries.Single();
        var evicted = false;
        cache.BeforeRestoreCopy = _ => evicted |= new CompressionCache(CacheOf(folder)).TryEvict(entry, heldKey: "");
        var output = Path.Combine(folder.Root, "obj", "other", "models");

        List<ManifestEntry>? restored;
        using (cache.Lock(entry.Key, TimeSpan.Zero))
        {
            restored = Restore(cache, entry, folder, output);
        }

        Assert.IsFalse(evicted, "the restoring build holds the key");
        Assert.IsNotNull(restored);
        Assert.AreEqual("int8 model", File.ReadAllText(Path.Combine(output, "net.cpu-int8.onnx")));
        Assert.IsTrue(File.Exists(Path.Combine(output, "net.cpu-int8.report.json")));
        Assert.IsTrue(Directory.Exists(entry.Path));
    }

    [TestMethod]
    public void BatchPassesTheParsedLimitToEachRun()
    {
        using var folder = new TaskFolder();
        var batch = new OneRunBatch(folder, new RecordingBuildEngine()) { CacheMaxSize = "500MB" };

        Assert.IsTrue(batch.Execute());

        Assert.AreEqual(500L << 20, batch.Run.CacheMaxSize);
    }

    [TestMethod]
    [DataRow("lots")]
    [DataRow("-1")]
    [DataRow("2 XB")]
    [DataRow("1e9")]
    [DataRow("GB")]
    public void BadLimit_IsAnErrorNamingTheProperty_AndNothingRuns(string value)
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var batch = new OneRunBatch(folder, engine) { CacheMaxSize = value };

        Assert.IsFalse(batch.Execute());

        CollectionAssert.AreEqual(new[] { CompressModelBatch.CacheMaxSizeCode }, engine.ErrorCodes.ToArray(), engine.Transcript());
        StringAssert.Contains(engine.Errors[0].Message, $"CompressModelsCacheMaxSize is '{value}'");
        Assert.IsNull(batch.Run.ResponseFileText, "a bad limit must stop the build before compressing");
    }

    private static string CacheOf(TaskFolder folder) => Path.Combine(folder.Root, "obj", "optimizer-cache");

    private static string KeyOf(string entry) => Path.GetFileName(Path.GetDirectoryName(entry))!;

    private static long SizeOf(string entry) => new DirectoryInfo(entry).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static void LastUsed(string entry, int hoursAgo) => Directory.SetLastWriteTimeUtc(entry, DateTime.UtcNow.AddHours(-hoursAgo));

    private static List<ManifestEntry>? Restore(CompressionCache cache, CachedEntry entry, TaskFolder folder, string output) => cache.TryRestore(
        entry.Key, Path.GetDirectoryName(folder.ModelPath)!, output,
        Path.Combine(output, "net.outputs.txt"), Path.Combine(output, "net.manifest.tsv"), Path.Combine(output, "net.dependencies.txt"));

    // Compresses a model with these contents (a new key each) and returns the folder of the result it stored.
    private static string Store(TaskFolder folder, string model, long maxSize, RecordingBuildEngine? engine = null)
    {
        var before = Entries(folder);
        Assert.IsNotNull(Build(folder, model, maxSize, engine).ResponseFileText, $"'{model}' must be compressed, not restored");
        return Entries(folder).Except(before).Single();
    }

    private static List<string> Entries(TaskFolder folder) =>
        Directory.Exists(CacheOf(folder)) ? Directory.GetDirectories(CacheOf(folder)).SelectMany(Directory.GetDirectories).ToList() : [];

    private static FakeCliRun Build(TaskFolder folder, string model, long maxSize, RecordingBuildEngine? engine = null)
    {
        engine ??= new RecordingBuildEngine();
        File.WriteAllText(folder.ModelPath, model);
        var task = folder.NewTask(engine);
        task.ManifestEntries = Path.Combine(folder.OutputDirectory, "net.manifest.tsv");
        task.DependenciesList = Path.Combine(folder.OutputDirectory, "net.dependencies.txt");
        task.CacheDirectory = CacheOf(folder);
        task.CacheMaxSize = maxSize;
        task.Profiles = ["cpu-int8"];
        Assert.IsTrue(task.Execute(), engine.Transcript());
        return task;
    }

    /// <summary>A batch of one model whose run is a <see cref="FakeCliRun"/>, so the parsed limit can be read back.</summary>
    private sealed class OneRunBatch : CompressModelBatch
    {
        public OneRunBatch(TaskFolder folder, IBuildEngine engine)
        {
            BuildEngine = engine;
            CliPath = folder.CliPath;
            Models =
            [
                new Microsoft.Build.Utilities.TaskItem(folder.ModelPath, new Dictionary<string, string>
                {
                    ["OutputDirectory"] = folder.OutputDirectory,
                    ["OutputsList"] = folder.OutputsList,
                    ["Stamp"] = Path.Combine(folder.OutputDirectory, "net.compress.stamp"),
                }),
            ];
        }

        public FakeCliRun Run { get; } = new();

        protected override CompressModel CreateRun(ITaskItem model) => Run;
    }
}
