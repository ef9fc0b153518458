using Optimizer.Core.Calibration;
using Optimizer.EndToEnd.Tests.Infrastructure;

namespace Optimizer.EndToEnd.Tests;

/// <summary>
/// Builds samples/ImageClassifier against the packed Optimizer.Build package, as a user would, and checks the models
/// the build produces, incrementality, clean, the disabled inner loop and error reporting.
/// </summary>
[TestClass]
[TestCategory("E2E")]
[DoNotParallelize]
public sealed class CompressModelsEndToEndTests
{
    private const string Int8 = "models/net.cpu-int8.onnx";
    private const string Fp16 = "models/net.gpu-fp16.onnx";
    private const string Original = "models/net.onnx";

    private SampleWorkspace? _sample;

    /// <summary>Set by MSTest.</summary>
    public TestContext TestContext { get; set; } = null!;

    [TestCleanup]
    public void AttachLogsOnFailure()
    {
        if (TestContext.CurrentTestOutcome == UnitTestOutcome.Passed || _sample is null)
        {
            return;
        }

        ScratchCleanup.KeepForDiagnosis();
        foreach (var log in _sample.Logs)
        {
            TestContext.AddResultFile(log);
        }
    }

    [TestMethod]
    public void Build_Sample_ProducesInt8AndFp16ModelsThatMatchTheOriginal()
    {
        var sample = _sample = SampleWorkspace.Create(nameof(Build_Sample_ProducesInt8AndFp16ModelsThatMatchTheOriginal));

        var build = sample.Build();

        build.AssertSucceeded();
        Assert.AreEqual(0, build.ErrorCodes.Count, build.Describe());
        Assert.IsFalse(build.WarningCodes.Contains("OPT3001"), "the sample has calibration data: " + build.Describe());
        var original = sample.OutputFile(Original);
        var int8 = sample.OutputFile(Int8);
        var fp16 = sample.OutputFile(Fp16);
        foreach (var file in new[] { original, int8, fp16 })
        {
            Assert.IsTrue(File.Exists(file), $"{file} is missing. " + build.Describe());
        }

        var originalBytes = new FileInfo(original).Length;
        AssertAtMost(0.30, new FileInfo(int8).Length, originalBytes, "INT8");
        AssertAtMost(0.52, new FileInfo(fp16).Length, originalBytes, "FP16");

        var images = Directory.GetFiles(sample.ProjectFile("models/calibration"), "*.npy").Order(StringComparer.Ordinal).ToList();
        var expected = OnnxModelRunner.Run(original, images);
        AssertCosineAtLeast(0.99, expected, OnnxModelRunner.Run(int8, images), "INT8");
        AssertCosineAtLeast(0.999, expected, OnnxModelRunner.Run(fp16, images), "FP16");
    }

    [TestMethod]
    public void Rebuild_SkipsCompression_TouchingTheYamlReruns_AndCleanDeletesTheOutputs()
    {
        var sample = _sample = SampleWorkspace.Create(nameof(Rebuild_SkipsCompression_TouchingTheYamlReruns_AndCleanDeletesTheOutputs));
        sample.Build().AssertSucceeded();
        var int8 = sample.OutputFile(Int8);
        var firstWrite = File.GetLastWriteTimeUtc(int8);

        var rebuild = sample.Build();

        rebuild.AssertSucceeded();
        Assert.IsTrue(rebuild.SkippedCompression, "the second build should skip compression. " + rebuild.Describe());
        Assert.IsFalse(rebuild.RanCompressionFully(), rebuild.Describe());
        Assert.AreEqual(firstWrite, File.GetLastWriteTimeUtc(int8), "the second build rewrote the INT8 model");
        Assert.IsTrue(File.Exists(sample.OutputFile(Fp16)), "incremental builds must still copy the outputs");

        File.SetLastWriteTimeUtc(sample.ProjectFile("models/compression.yaml"), DateTime.UtcNow.AddSeconds(2));
        var afterYaml = sample.Build();

        afterYaml.AssertSucceeded();
        Assert.IsFalse(afterYaml.SkippedCompression, "touching compression.yaml should rerun compression. " + afterYaml.Describe());
        StringAssert.Contains(afterYaml.Output, "net.cpu-int8.onnx  (", afterYaml.Describe());

        // calibration.data pointing outside the model's folder: only the CLI knows those samples, and reports them back
        // (its dependencies list) so that they are Inputs of the next build and checked by the cache.
        var samples = Directory.CreateDirectory(sample.ProjectFile("shared-samples")).FullName;
        foreach (var npy in Directory.GetFiles(sample.ProjectFile("models/calibration"), "*.npy"))
        {
            File.Copy(npy, Path.Combine(samples, Path.GetFileName(npy)));
        }

        File.AppendAllText(sample.ProjectFile("models/compression.yaml"), "calibration:\n  data: ../shared-samples/\n");
        sample.Build().AssertSucceeded();
        var unchanged = sample.Build();

        unchanged.AssertSucceeded();
        Assert.IsTrue(unchanged.SkippedCompression, "nothing changed since the samples moved. " + unchanged.Describe());

        var int8Before = File.ReadAllBytes(int8);
        var first = Directory.GetFiles(samples, "*.npy").Order(StringComparer.Ordinal).First();
        var tensor = NpyReader.Read(first);
        NpyWriter.Write(first, ((float[])tensor.Data).Select(v => v * 4).ToArray(), tensor.Shape);
        var afterSample = sample.Build();

        afterSample.AssertSucceeded();
        Assert.IsFalse(afterSample.SkippedCompression, "a changed sample in calibration.data should rerun compression. " + afterSample.Describe());
        Assert.IsFalse(afterSample.Output.Contains("(from cache ", StringComparison.Ordinal), "a changed sample must miss the cache. " + afterSample.Describe());
        CollectionAssert.AreNotEqual(int8Before, File.ReadAllBytes(int8), "calibrated on a different sample, the INT8 model should change");

        var clean = sample.Clean();

        clean.AssertSucceeded();
        foreach (var file in new[] { int8, sample.OutputFile(Fp16) })
        {
            Assert.IsFalse(File.Exists(file), $"dotnet clean left {file}. " + clean.Describe());
        }

        var leftInObj = Directory.Exists(sample.CompressedDirectory)
            ? Directory.GetFiles(sample.CompressedDirectory, "*", SearchOption.AllDirectories)
            : [];
        Assert.AreEqual(0, leftInObj.Length, "dotnet clean left: " + string.Join(", ", leftInObj));
    }

    [TestMethod]
    public void Build_WithCompressionDisabled_CopiesTheOriginalUnchanged_AndReenablingReusesTheOutputs()
    {
        var sample = _sample = SampleWorkspace.Create(nameof(Build_WithCompressionDisabled_CopiesTheOriginalUnchanged_AndReenablingReusesTheOutputs));
        sample.Build().AssertSucceeded();

        var disabled = sample.Build("-p:CompressModelsEnabled=false");

        disabled.AssertSucceeded();
        Assert.IsFalse(disabled.RanCompression, "compression ran although disabled. " + disabled.Describe());
        CollectionAssert.AreEqual(File.ReadAllBytes(sample.ProjectFile(Original)), File.ReadAllBytes(sample.OutputFile(Original)));
        Assert.IsFalse(File.Exists(sample.OutputFile(Int8)), "a disabled build left the INT8 model in bin. " + disabled.Describe());
        Assert.IsFalse(File.Exists(sample.OutputFile(Fp16)), "a disabled build left the FP16 model in bin. " + disabled.Describe());

        var reenabled = sample.Build();

        reenabled.AssertSucceeded();
        Assert.IsTrue(reenabled.SkippedCompression, "nothing changed, so re-enabling should reuse the outputs. " + reenabled.Describe());
        Assert.IsTrue(File.Exists(sample.OutputFile(Int8)), reenabled.Describe());
        Assert.IsTrue(File.Exists(sample.OutputFile(Fp16)), reenabled.Describe());
    }

    [TestMethod]
    public void Publish_PutsTheOptimizedModelsInThePublishFolder()
    {
        var sample = _sample = SampleWorkspace.Create(nameof(Publish_PutsTheOptimizedModelsInThePublishFolder));
        var publishDirectory = sample.ProjectFile("published");

        var publish = sample.Publish(publishDirectory);

        publish.AssertSucceeded();
        foreach (var model in new[] { Int8, Fp16 })
        {
            var published = Path.Combine(publishDirectory, model);
            Assert.IsTrue(File.Exists(published), $"{model} is not in the publish folder. " + publish.Describe());
            var built = Path.Combine(sample.Directory, "bin", "Release", "net10.0", model);
            CollectionAssert.AreEqual(File.ReadAllBytes(built), File.ReadAllBytes(published), $"{model} differs between bin and publish");
        }
    }

    [TestMethod]
    public void Build_WithABrokenModel_FailsWithOPT2002_AndWritesNoModels()
    {
        var sample = _sample = SampleWorkspace.Create(nameof(Build_WithABrokenModel_FailsWithOPT2002_AndWritesNoModels));
        File.WriteAllBytes(sample.ProjectFile(Original), [0x13, 0x37, 0xFF, 0xFF, 0x00, 0x42, 0x99, 0x07, 0xFF, 0xFF, 0xFF, 0xFF]);

        var build = sample.Build();

        Assert.AreNotEqual(0, build.ExitCode, build.Describe());
        CollectionAssert.AreEqual(new[] { "OPT2002" }, build.ErrorCodes.ToArray(), build.Describe());
        var written = Directory.Exists(sample.OutputDirectory)
            ? Directory.GetFiles(sample.OutputDirectory, "*.onnx", SearchOption.AllDirectories)
            : [];
        Assert.AreEqual(0, written.Length, "models written to bin: " + string.Join(", ", written));
    }

    private static void AssertAtMost(double ratio, long actualBytes, long originalBytes, string what) =>
        Assert.IsTrue(actualBytes <= ratio * originalBytes,
            $"{what} model is {actualBytes} bytes = {actualBytes / (double)originalBytes:0.000}x the original ({originalBytes} bytes); expected at most {ratio}x.");

    private static void AssertCosineAtLeast(double minimum, IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, string what)
    {
        var cosine = OnnxModelRunner.Cosine(expected, actual);
        Assert.IsTrue(cosine >= minimum, $"{what} cosine with the original is {cosine:0.000000}; expected at least {minimum}.");
    }
}
