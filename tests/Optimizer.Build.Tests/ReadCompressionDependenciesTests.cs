using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Optimizer.Build.Tests;

/// <summary>
/// The previous run's dependencies list read back as Inputs of the up-to-date check, and sample folders whose listing
/// changed after the stamp making their model stale.
/// </summary>
[TestClass]
public sealed class ReadCompressionDependenciesTests
{
    [TestMethod]
    public void RecordedFiles_BecomeDependencies_CarryingTheirModelsStamp()
    {
        using var folder = new TaskFolder();
        var model = ModelWithList(folder, out var stamp, folder.Write("data/a.npy", "a"), folder.Write("models/net.onnx.data", "weights"));
        var task = new ReadCompressionDependencies { BuildEngine = new RecordingBuildEngine(), Models = [model, ModelWithoutList(folder)] };

        Assert.IsTrue(task.Execute());

        CollectionAssert.AreEqual(
            new[] { Path.Combine(folder.Root, "data", "a.npy"), Path.Combine(folder.Root, "models", "net.onnx.data") },
            task.Dependencies.Select(d => d.ItemSpec).ToArray());
        Assert.IsTrue(task.Dependencies.All(d => d.GetMetadata("Stamp") == stamp));
        Assert.IsTrue(File.Exists(stamp), "nothing changed: the model stays up to date");
    }

    [TestMethod]
    [DataRow("added")]
    [DataRow("removed")]
    public void SampleFolder_WhoseListingChangedAfterTheStamp_LosesTheStamp(string change)
    {
        using var folder = new TaskFolder();
        var samples = Path.Combine(folder.Root, "data", "samples");
        var sample = folder.Write("data/samples/a.npy", "a");
        var model = ModelWithList(folder, out var stamp, sample, samples + Path.DirectorySeparatorChar);
        // Timestamps a second apart: file systems keep folder times at various resolutions.
        File.SetLastWriteTimeUtc(stamp, DateTime.UtcNow.AddSeconds(-10));
        Directory.SetLastWriteTimeUtc(samples, DateTime.UtcNow.AddSeconds(-20));
        if (change == "added")
        {
            folder.Write("data/samples/b.npy", "b");
        }
        else
        {
            File.Delete(sample);
        }

        var engine = new RecordingBuildEngine();
        var task = new ReadCompressionDependencies { BuildEngine = engine, Models = [model] };

        Assert.IsTrue(task.Execute());

        Assert.IsFalse(File.Exists(stamp), $"a sample {change} in a folder the CLI chose samples from must make the model stale");
        Assert.IsTrue(engine.Messages.Any(m => m.Message?.Contains(samples, StringComparison.Ordinal) == true && m.Importance == MessageImportance.Low), engine.Transcript());
    }

    [TestMethod]
    public void SampleFolder_UnchangedSinceTheStamp_KeepsTheStamp()
    {
        using var folder = new TaskFolder();
        var samples = Path.Combine(folder.Root, "data", "samples");
        var model = ModelWithList(folder, out var stamp, folder.Write("data/samples/a.npy", "a"), samples + "/");
        Directory.SetLastWriteTimeUtc(samples, DateTime.UtcNow.AddSeconds(-20));
        File.SetLastWriteTimeUtc(stamp, DateTime.UtcNow.AddSeconds(-10));

        Assert.IsTrue(new ReadCompressionDependencies { BuildEngine = new RecordingBuildEngine(), Models = [model] }.Execute());

        Assert.IsTrue(File.Exists(stamp));
    }

    private static TaskItem ModelWithList(TaskFolder folder, out string stamp, params string[] lines)
    {
        stamp = Path.Combine(folder.OutputDirectory, "net.compress.stamp");
        File.WriteAllText(stamp, "");
        var list = Path.Combine(folder.OutputDirectory, "net.dependencies.txt");
        File.WriteAllText(list, string.Concat(lines.Select(l => l + "\n")));
        return new TaskItem(folder.ModelPath, new Dictionary<string, string> { ["Stamp"] = stamp, ["DependenciesList"] = list });
    }

    // A model never compressed in this build folder yet: no list to read.
    private static TaskItem ModelWithoutList(TaskFolder folder) => new(folder.Write("models/other.onnx", "model"), new Dictionary<string, string>
    {
        ["Stamp"] = Path.Combine(folder.OutputDirectory, "other.compress.stamp"),
        ["DependenciesList"] = Path.Combine(folder.OutputDirectory, "other.dependencies.txt"),
    });
}
