using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Optimizer.Runtime;

namespace Optimizer.Build.Tests;

/// <summary>Which files go to the output, under which names, and the optimized-models.json describing them.</summary>
[TestClass]
public sealed class ResolveCompressedModelsTests
{
    private const string Sha = "900b0b3f560009dcd9ad7f65917c9cb93a09f8c7bc3c23d7c38e4c19cff1b481";

    [TestMethod]
    public void FlatLayout_PutsProfilesBesideTheOriginal_AndTheManifestListsThemForTheRuntimeHelper()
    {
        using var folder = new TaskFolder();
        var (task, engine) = NewTask(folder, layout: null);

        Assert.IsTrue(task.Execute(), engine.Transcript());

        CollectionAssert.AreEqual(new[] { Path.Combine("models", "net.cpu-int8.onnx"), Path.Combine("models", "net.gpu-fp16.onnx") },
            task.OutputFiles.Select(f => f.GetMetadata("TargetPath")).ToArray());
        CollectionAssert.AreEqual(new[] { "cpu-int8", "gpu-fp16" }, task.OutputFiles.Select(f => f.GetMetadata("Profile")).ToArray());
        CollectionAssert.AreEqual(new[] { Int8(folder), Fp16(folder) }, task.CompressedFiles.Select(f => f.ItemSpec).ToArray());

        // The output folder as the build leaves it: the runtime helper reads the manifest the task wrote.
        var output = Path.Combine(folder.Root, "bin");
        foreach (var file in task.OutputFiles)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(output, file.GetMetadata("TargetPath")))!);
            File.Copy(file.ItemSpec, Path.Combine(output, file.GetMetadata("TargetPath")));
        }

        File.Copy(task.ManifestPath!, Path.Combine(output, OptimizedModelManifest.FileName));
        var manifest = OptimizedModelManifest.Load(Path.Combine(output, OptimizedModelManifest.FileName));
        var int8 = manifest.Models[0];
        Assert.AreEqual(new OptimizedModel("models/net.onnx", "cpu-int8", "models/net.cpu-int8.onnx", 605717, Sha, "CPUExecutionProvider", 0.9998556602560883, 0.9375), int8);
        Assert.IsNull(manifest.Models[1].Top1Agreement);
        Assert.AreEqual(Path.Combine(output, "models", "net.cpu-int8.onnx"), manifest.Choose("models/net.onnx", ["CPUExecutionProvider"]).Path);
        Assert.AreEqual("gpu-fp16", manifest.Choose("models/net.onnx", ["CUDAExecutionProvider", "CPUExecutionProvider"]).Profile);
    }

    [TestMethod]
    public void ProfileFoldersLayout_GivesEachProfileItsOwnTreeWithTheOriginalName()
    {
        using var folder = new TaskFolder();
        var (task, engine) = NewTask(folder, layout: "Profile-Folders");

        Assert.IsTrue(task.Execute(), engine.Transcript());

        CollectionAssert.AreEqual(new[] { Path.Combine("cpu-int8", "models", "net.onnx"), Path.Combine("gpu-fp16", "models", "net.onnx") },
            task.OutputFiles.Select(f => f.GetMetadata("TargetPath")).ToArray());
        StringAssert.Contains(File.ReadAllText(task.ManifestPath!), "\"file\": \"cpu-int8/models/net.onnx\"");
    }

    [TestMethod]
    public void Disabled_CopiesTheOriginal_ListsItAsOriginal_AndStillReportsTheCompressedFilesForClean()
    {
        using var folder = new TaskFolder();
        var (task, engine) = NewTask(folder, layout: null);
        task.Enabled = false;

        Assert.IsTrue(task.Execute(), engine.Transcript());

        var copied = task.OutputFiles.Single();
        Assert.AreEqual((folder.ModelPath, Path.Combine("models", "net.onnx"), "original"), (copied.ItemSpec, copied.GetMetadata("TargetPath"), copied.GetMetadata("Profile")));
        Assert.AreEqual(2, task.CompressedFiles.Length);
        var json = File.ReadAllText(task.ManifestPath!);
        StringAssert.Contains(json, "\"profile\": \"original\"");
        StringAssert.Contains(json, "\"sha256\": \"9372c470eeadd5ecd9c3c74c2b3cb633f8e2f2fad799250a0f70d652b6b825e4\"", "sha256 of the original's bytes, 'model'");
    }

    [TestMethod]
    public void SameInputs_WriteTheManifestOnce_SoIncrementalCopiesStayIncremental()
    {
        using var folder = new TaskFolder();
        var (task, engine) = NewTask(folder, layout: null);
        Assert.IsTrue(task.Execute(), engine.Transcript());
        var written = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(task.ManifestPath!, written);

        var (again, _) = NewTask(folder, layout: null);
        Assert.IsTrue(again.Execute());

        Assert.AreEqual(written, File.GetLastWriteTimeUtc(task.ManifestPath!));
    }

    [TestMethod]
    public void UnknownLayout_FailsWithOPT1022NamingTheKnownOnes()
    {
        using var folder = new TaskFolder();
        var (task, engine) = NewTask(folder, layout: "by-platform");

        Assert.IsFalse(task.Execute());

        CollectionAssert.AreEqual(new[] { ResolveCompressedModels.UnknownLayoutCode }, engine.ErrorCodes.ToArray());
        StringAssert.Contains(engine.Errors[0].Message, "flat, profile-folders");
    }

    [TestMethod]
    public void EntriesFileFromAnotherFormat_FailsWithOPT9002()
    {
        using var folder = new TaskFolder();
        var (task, engine) = NewTask(folder, layout: null);
        File.WriteAllText(Path.Combine(folder.OutputDirectory, "net.manifest.tsv"), "# optimizer manifest entries v9\n");

        Assert.IsFalse(task.Execute());

        CollectionAssert.AreEqual(new[] { ResolveCompressedModels.ManifestEntriesCode }, engine.ErrorCodes.ToArray());
        Assert.AreEqual(folder.ModelPath, engine.Errors[0].File);
    }

    private static string Int8(TaskFolder folder) => Path.Combine(folder.OutputDirectory, "net.cpu-int8.onnx");

    private static string Fp16(TaskFolder folder) => Path.Combine(folder.OutputDirectory, "net.gpu-fp16.onnx");

    // The files the CLI leaves for one model: two outputs, the outputs list and the manifest entries.
    private static (ResolveCompressedModels Task, RecordingBuildEngine Engine) NewTask(TaskFolder folder, string? layout)
    {
        File.WriteAllText(Int8(folder), "int8 model");
        File.WriteAllText(Fp16(folder), "fp16 model");
        File.WriteAllText(folder.OutputsList, $"{Int8(folder)}\n{Fp16(folder)}\n");
        var entries = Path.Combine(folder.OutputDirectory, "net.manifest.tsv");
        if (!File.Exists(entries))
        {
            File.WriteAllText(entries,
                "# optimizer manifest entries v1\n" +
                $"cpu-int8\tCPUExecutionProvider\t{Int8(folder)}\t605717\t{Sha}\t0.9998556602560883\t0.9375\n" +
                $"gpu-fp16\tCUDAExecutionProvider\t{Fp16(folder)}\t1183143\t{Sha}\t0.9999998473207545\t\n");
        }

        var model = new TaskItem(folder.ModelPath);
        model.SetMetadata("OutputName", "net");
        model.SetMetadata("TargetDir", "models");
        model.SetMetadata("ModelTargetPath", Path.Combine("models", "net.onnx"));
        model.SetMetadata("OutputsList", folder.OutputsList);
        model.SetMetadata("ManifestEntries", entries);
        var engine = new RecordingBuildEngine();
        var task = new ResolveCompressedModels
        {
            BuildEngine = engine,
            Models = [model],
            Layout = layout,
            ManifestPath = Path.Combine(folder.Root, "obj", "compressed", "optimized-models.json"),
        };
        return (task, engine);
    }
}
