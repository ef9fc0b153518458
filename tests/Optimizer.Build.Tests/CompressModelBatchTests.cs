using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Optimizer.Build.Tests;

/// <summary>Several models of one project compressed concurrently, each with its own diagnostics and stamp.</summary>
[TestClass]
public sealed class CompressModelBatchTests
{
    // Long enough that the sequential test would notice a second run starting before the first ended.
    private static readonly TimeSpan RunTime = TimeSpan.FromMilliseconds(200);

    [TestMethod]
    public void TwoModels_WithMaxParallel2_RunConcurrently_AndBothAreStamped()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var batch = new ScriptedBatch(folder, engine, "a", "b") { MaxParallel = 2 };
        using var rendezvous = new CountdownEvent(2);
        batch.Runs["a"].Rendezvous = batch.Runs["b"].Rendezvous = rendezvous;

        Assert.IsTrue(batch.Execute(), engine.Transcript());

        Assert.IsTrue(batch.Runs["a"].MetTheOthers && batch.Runs["b"].MetTheOthers, "the two runs were never alive at the same time");
        Assert.IsTrue(File.Exists(batch.StampOf("a")) && File.Exists(batch.StampOf("b")), engine.Transcript());
        // Interleaved detail lines name their model; summary lines already do.
        Assert.IsTrue(engine.Messages.Any(m => m.Message == "a.onnx: calibration sample 1/2" && m.Importance == MessageImportance.Low), engine.Transcript());
    }

    [TestMethod]
    public void TwoModels_WithMaxParallel1_RunOneAfterTheOther()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var batch = new ScriptedBatch(folder, engine, "a", "b") { MaxParallel = 1 };

        Assert.IsTrue(batch.Execute(), engine.Transcript());

        var runs = batch.Runs.Values.Select(r => r.Ran!.Value).OrderBy(r => r.Started).ToList();
        Assert.IsTrue(runs[0].Ended <= runs[1].Started, "MaxParallel=1 must not overlap runs");
        Assert.IsTrue(engine.Messages.Any(m => m.Message == "  calibration sample 1/2"), "one at a time, detail lines need no model name: " + engine.Transcript());
    }

    [TestMethod]
    public void OneFailingModel_ReportsItsOwnCode_LeavesNoStampForIt_AndTheOtherIsStamped()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var batch = new ScriptedBatch(folder, engine, "good", "broken") { MaxParallel = 2 };
        var broken = batch.Runs["broken"].Stderr($"{batch.ModelOf("broken")}: error OPT2002: The model is not a valid ONNX file.");
        broken.ExitCodeToReturn = 2;

        Assert.IsFalse(batch.Execute());

        CollectionAssert.AreEqual(new[] { "OPT2002" }, engine.ErrorCodes.ToArray(), engine.Transcript());
        Assert.AreEqual(batch.ModelOf("broken"), engine.Errors[0].File);
        Assert.IsFalse(File.Exists(batch.StampOf("broken")), "a failed model must not be stamped, so the next build retries it");
        Assert.IsTrue(File.Exists(batch.StampOf("good")), "the model that succeeded beside the failure stays up to date");
    }

    [TestMethod]
    public void EachRun_GetsOnlyItsOwnModelsDependencies_ForItsCacheKey()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var batch = new ScriptedBatch(folder, engine, "a", "b") { MaxParallel = 2 };
        var yamlA = folder.Write("models/a.compression.yaml", "version: 1\n");
        var yamlB = folder.Write("models/b.compression.yaml", "version: 1\n");
        batch.Dependencies =
        [
            new TaskItem(yamlA, new Dictionary<string, string> { ["Stamp"] = batch.StampOf("a") }),
            new TaskItem(yamlB, new Dictionary<string, string> { ["Stamp"] = batch.StampOf("b") }),
        ];

        Assert.IsTrue(batch.Execute(), engine.Transcript());

        CollectionAssert.AreEqual(new[] { yamlA }, batch.Runs["a"].Dependencies.Select(d => d.ItemSpec).ToArray());
        CollectionAssert.AreEqual(new[] { yamlB }, batch.Runs["b"].Dependencies.Select(d => d.ItemSpec).ToArray());
        // And its own dependencies list, which the CLI (or a cache hit) fills for the next build's up-to-date check.
        Assert.AreEqual(batch.DependenciesListOf("a"), batch.Runs["a"].DependenciesList);
        Assert.AreEqual(batch.DependenciesListOf("b"), batch.Runs["b"].DependenciesList);
    }

    [TestMethod]
    public void DefaultMaxParallel_IsBetween1And4()
    {
        Assert.IsTrue(CompressModelBatch.DefaultMaxParallel is >= 1 and <= 4, CompressModelBatch.DefaultMaxParallel.ToString());
    }

    /// <summary>A batch whose runs are <see cref="FakeCliRun"/>s, one per named model, each in its own output folder.</summary>
    private sealed class ScriptedBatch : CompressModelBatch
    {
        private readonly TaskFolder _folder;

        public ScriptedBatch(TaskFolder folder, IBuildEngine engine, params string[] names)
        {
            _folder = folder;
            BuildEngine = engine;
            CliPath = folder.CliPath;
            Models = names.Select(ModelItem).ToArray();
            foreach (var name in names)
            {
                Runs[name] = new FakeCliRun { Duration = RunTime }
                    .Stdout("  calibration sample 1/2")
                    .Stdout($"{name}.onnx -> {Path.Combine(OutputOf(name), "net.cpu-int8.onnx")}  (1 KB -> 1 KB)");
            }
        }

        public Dictionary<string, FakeCliRun> Runs { get; } = [];

        public string ModelOf(string name) => Path.Combine(_folder.Root, "models", name + ".onnx");

        public string StampOf(string name) => Path.Combine(OutputOf(name), name + ".compress.stamp");

        public string DependenciesListOf(string name) => Path.Combine(OutputOf(name), name + ".dependencies.txt");

        protected override CompressModel CreateRun(ITaskItem model) => Runs[Path.GetFileNameWithoutExtension(model.ItemSpec)];

        private string OutputOf(string name) => Path.Combine(_folder.Root, "obj", "compressed", name);

        private TaskItem ModelItem(string name)
        {
            _folder.Write($"models/{name}.onnx", "model");
            Directory.CreateDirectory(OutputOf(name));
            return new TaskItem(ModelOf(name), new Dictionary<string, string>
            {
                ["OutputDirectory"] = OutputOf(name),
                ["OutputsList"] = Path.Combine(OutputOf(name), name + ".outputs.txt"),
                ["Stamp"] = StampOf(name),
                ["DependenciesList"] = DependenciesListOf(name),
            });
        }
    }
}
