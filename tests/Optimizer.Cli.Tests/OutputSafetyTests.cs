using Optimizer.Core.Onnx;
using Optimizer.TestModels;

namespace Optimizer.Cli.Tests;

/// <summary>
/// Outputs stay whole whatever happens to the process writing them: external data is listed for MSBuild, two runs
/// racing for one output leave one complete model, and a run killed mid-write leaves the previous model in place.
/// Each case runs the command line in child processes, as builds do.
/// </summary>
[TestClass]
public sealed class OutputSafetyTests
{
    // A threshold of 1 KiB sends the small test model down the path models over 2 GB take: external data for the
    // outputs and for every ONNX Runtime session.
    private static readonly Dictionary<string, string> ExternalData = new() { [ModelFile.ExternalDataAboveVariable] = "1024" };

    private static string NewFolder() => Directory.CreateTempSubdirectory("optimizer-cli-safety-").FullName;

    [TestMethod]
    public void Compress_WithExternalData_ListsTheDataFileAndTheOutputRuns()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        var output = Path.Combine(folder, "out", "net.int8.onnx");
        var list = Path.Combine(folder, "outputs.txt");

        var run = CliProcess.Run(ExternalData, "compress", model, "--profile", "cpu-int8", "--output", output, "--outputs-list", list);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        CollectionAssert.AreEqual(new[] { output, output + ".data" }, File.ReadAllLines(list));
        Assert.IsLessThan(new FileInfo(output + ".data").Length, new FileInfo(output).Length, "the weights live in the side file");
        var samples = ModelRuns.RandomSamples(ConvNetModel.Input, [2, 3, 16, 16], count: 2, seed: 9);
        var cosine = ModelRuns.Cosine(ModelRuns.RunAll(ConvNetModel.Create(), samples), ModelRuns.RunAll(ModelFile.Load(output), samples));
        Assert.IsGreaterThan(0.98, cosine);
    }

    [TestMethod]
    public void Compress_TwoRunsRacingForOneOutput_LeaveOneWholeModel()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        var output = Path.Combine(folder, "out", "net.onnx");

        // Different profiles, so the survivor shows which run won and that its weights are its own.
        var runs = new[] { "cpu-int8", "gpu-fp16" }
            .Select(profile => CliProcess.Start(ExternalData, "compress", model, "--profile", profile, "--output", output)).ToList();
        var results = runs.Select(CliProcess.Finish).ToList();

        foreach (var result in results)
        {
            Assert.AreEqual(0, result.ExitCode, result.ToString());
        }

        var survivor = ModelFile.Load(output);
        var profileWritten = ModelMetadata.Get(survivor, "optimizer.profile");
        CollectionAssert.Contains(new[] { "cpu-int8", "gpu-fp16" }, profileWritten);
        var samples = ModelRuns.RandomSamples(ConvNetModel.Input, [2, 3, 16, 16], count: 2, seed: 9);
        Assert.IsGreaterThan(0.98, ModelRuns.Cosine(ModelRuns.RunAll(ConvNetModel.Create(), samples), ModelRuns.RunAll(survivor, samples)), $"survivor: {profileWritten}");
        Assert.AreEqual(0, Directory.GetFiles(Path.GetDirectoryName(output)!, ".*.tmp").Length, "no temporaries are left");
    }

    [TestMethod]
    public void Compress_KilledWhileWritingTheModel_LeavesThePreviousModel()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        var output = Path.Combine(folder, "out", "net.onnx");
        Assert.AreEqual(0, CliProcess.Run(null, "compress", model, "--profile", "cpu-int8", "--output", output).ExitCode);
        var previous = File.ReadAllBytes(output);

        var signal = Path.Combine(folder, "paused.txt");
        var pause = new Dictionary<string, string>(ExternalData) { [WriteInterruption.Variable] = $"{signal}|{Path.DirectorySeparatorChar}net.onnx" };
        using (var killed = CliProcess.Start(pause, "compress", model, "--profile", "gpu-fp16", "--output", output))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!File.Exists(signal) && !killed.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }

            Assert.IsTrue(File.Exists(signal), "the run never reached the write: " + (killed.HasExited ? CliProcess.Finish(killed).ToString() : "timed out"));
            killed.Kill(entireProcessTree: true);
            killed.WaitForExit();
        }

        CollectionAssert.AreEqual(previous, File.ReadAllBytes(output), "the previous model is untouched");
        Assert.AreEqual("cpu-int8", ModelMetadata.Get(ModelFile.Load(output), "optimizer.profile"));
        Assert.IsNotEmpty(Directory.GetFiles(Path.GetDirectoryName(output)!, ".*.tmp"), "the killed run left its temporaries");

        var rerun = CliProcess.Run(null, "compress", model, "--profile", "gpu-fp16", "--output", output);

        Assert.AreEqual(0, rerun.ExitCode, rerun.ToString());
        Assert.AreEqual("gpu-fp16", ModelMetadata.Get(ModelFile.Load(output), "optimizer.profile"));
        Assert.AreEqual(0, Directory.GetFiles(Path.GetDirectoryName(output)!, ".*.tmp").Length, "the next run removes a dead run's temporaries");
    }
}
