using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Core;
using Optimizer.Core.Calibration;
using Optimizer.TestModels;

namespace Optimizer.Runtime.Tests;

[TestClass]
public sealed class OptimizedModelManifestTests
{
    private const string Cpu = OptimizedModelManifest.CpuProvider;
    private const string Cuda = "CUDAExecutionProvider";

    [TestMethod]
    public void Choose_OnThisMachine_PicksTheCpuInt8Model_WhichRunsCloseToTheOriginal()
    {
        var folder = OutputFolderWithRealModels();
        var manifest = OptimizedModelManifest.Load(Path.Combine(folder, OptimizedModelManifest.FileName));
        var providers = OrtEnv.Instance().GetAvailableProviders();

        var choice = manifest.Choose("models/net.onnx", providers);

        Assert.IsFalse(providers.Contains(Cuda), "this test expects the GPU-less CI machine");
        Assert.AreEqual(("cpu-int8", Cpu), (choice.Profile, choice.ExecutionProvider));
        Assert.AreEqual(Path.Combine(folder, "models", "net.cpu-int8.onnx"), choice.Path);
        var samples = ModelRuns.RandomSamples(ConvNetModel.Input, [1, 3, 16, 16], 4, seed: 3);
        var original = ModelRuns.RunAll(Optimizer.Core.Onnx.ModelFile.Load(Path.Combine(folder, "models", "net.onnx")), samples);
        var chosen = ModelRuns.RunAll(Optimizer.Core.Onnx.ModelFile.Load(choice.Path), samples);
        Assert.IsTrue(ModelRuns.Cosine(original, chosen) > 0.99, $"cosine {ModelRuns.Cosine(original, chosen)}");
    }

    [TestMethod]
    public void Choose_WithCuda_PrefersTheGpuModel_AndWithoutIt_TheCpuOne()
    {
        var folder = FolderWith("models/net.cpu-int8.onnx", "models/net.gpu-fp16.onnx");
        var manifest = Write(folder, Entry("cpu-int8", "models/net.cpu-int8.onnx", Cpu), Entry("gpu-fp16", "models/net.gpu-fp16.onnx", Cuda));

        Assert.AreEqual("gpu-fp16", manifest.Choose("models/net.onnx", [Cuda, Cpu]).Profile);
        Assert.AreEqual("cpu-int8", manifest.Choose("models/net.onnx", [Cpu]).Profile);
    }

    [TestMethod]
    public void Choose_NoFittingOrExistingModel_FallsBackToTheOriginal()
    {
        var folder = FolderWith("models/net.gpu-fp16.onnx");
        // The CPU model is listed but missing (e.g. deleted from a deployment): it must not be chosen.
        var manifest = Write(folder, Entry("cpu-int8", "models/net.cpu-int8.onnx", Cpu), Entry("gpu-fp16", "models/net.gpu-fp16.onnx", Cuda));

        var choice = manifest.Choose("models/net.onnx", [Cpu]);

        Assert.AreEqual((ModelChoice.OriginalProfile, Cpu), (choice.Profile, choice.ExecutionProvider));
        Assert.AreEqual(Path.Combine(folder, "models", "net.onnx"), choice.Path);
    }

    [TestMethod]
    public void Choose_DisabledBuildListingTheOriginal_PicksItOnlyWhenNothingOptimizedFits()
    {
        var folder = FolderWith("models/net.onnx", "models/net.cpu-int8.onnx");
        var manifest = Write(folder, Entry("original", "models/net.onnx", Cpu), Entry("cpu-int8", "models/net.cpu-int8.onnx", Cpu));

        Assert.AreEqual("cpu-int8", manifest.Choose("./models/net.onnx", [Cpu]).Profile);
        Assert.AreEqual("original", manifest.Choose("models/net.onnx", ["SomeOtherProvider"]).Profile);
    }

    [TestMethod]
    public void Load_WrongVersion_ThrowsInvalidDataNamingTheFile()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("optimizer-runtime-").FullName, OptimizedModelManifest.FileName);
        File.WriteAllText(path, """{ "version": 7, "models": [] }""");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => OptimizedModelManifest.Load(path));

        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, "version 7");
    }

    private static string OutputFolderWithRealModels()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-runtime-").FullName;
        var models = Directory.CreateDirectory(Path.Combine(folder, "models")).FullName;
        File.WriteAllBytes(Path.Combine(models, "net.onnx"), ConvNetModel.Create().ToByteArray());
        var outcomes = new Pipeline(new RecordingSink()).Run(new CompressionRequest { ModelPath = Path.Combine(models, "net.onnx"), OutputDirectory = models });
        var entries = outcomes.Select(o => Entry(o.Report.Profile, "models/" + Path.GetFileName(o.OutputPath), o.Report.ExecutionProvider)).ToArray();
        Write(folder, entries);
        return folder;
    }

    private static string FolderWith(params string[] files)
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-runtime-").FullName;
        foreach (var file in files)
        {
            var path = Path.Combine(folder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "model bytes");
        }

        return folder;
    }

    private static string Entry(string profile, string file, string provider) => $$"""
        { "model": "models/net.onnx", "profile": "{{profile}}", "file": "{{file}}", "bytes": 11, "sha256": "00", "executionProvider": "{{provider}}", "cosine": 0.999, "top1Agreement": null }
        """;

    private static OptimizedModelManifest Write(string folder, params string[] entries)
    {
        var path = Path.Combine(folder, OptimizedModelManifest.FileName);
        File.WriteAllText(path, $$"""{ "version": 1, "models": [ {{string.Join(",", entries)}} ] }""");
        return OptimizedModelManifest.Load(path);
    }
}
