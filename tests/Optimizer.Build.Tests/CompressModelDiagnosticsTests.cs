using Microsoft.Build.Framework;

namespace Optimizer.Build.Tests;

/// <summary>How the CLI's output and exit code become MSBuild errors, warnings and messages.</summary>
[TestClass]
public sealed class CompressModelDiagnosticsTests
{
    [TestMethod]
    public void CanonicalErrorOnStderr_BecomesErrorWithCodeFileAndLine_AndNoGenericError()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var yaml = Path.Combine(folder.Root, "models", "compression.yaml");
        var task = folder.NewTask(engine).Stderr($"{yaml}(3,5): error OPT1002: Unknown key 'profils'. Did you mean 'profiles'?");
        task.ExitCodeToReturn = 1;

        Assert.IsFalse(task.Execute());

        CollectionAssert.AreEqual(new[] { "OPT1002" }, engine.ErrorCodes.ToArray(), engine.Transcript());
        var error = engine.Errors[0];
        Assert.AreEqual(yaml, error.File);
        Assert.AreEqual(3, error.LineNumber);
        Assert.AreEqual(5, error.ColumnNumber);
        StringAssert.Contains(error.Message, "profils");
    }

    [TestMethod]
    public void CanonicalErrorOnStdout_IsAlsoAnError()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine).Stdout($"{folder.ModelPath}: error OPT2002: The model is not a valid ONNX file.");
        task.ExitCodeToReturn = 2;

        Assert.IsFalse(task.Execute());

        CollectionAssert.AreEqual(new[] { "OPT2002" }, engine.ErrorCodes.ToArray(), engine.Transcript());
        Assert.AreEqual(folder.ModelPath, engine.Errors[0].File);
    }

    [TestMethod]
    public void CanonicalWarning_BecomesWarning_AndTheTaskSucceeds()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine).Stderr($"{folder.ModelPath}: warning OPT3001: No calibration data; using synthetic inputs.");

        Assert.IsTrue(task.Execute(), engine.Transcript());

        Assert.AreEqual(1, engine.Warnings.Count);
        Assert.AreEqual("OPT3001", engine.Warnings[0].Code);
        Assert.AreEqual(folder.ModelPath, engine.Warnings[0].File);
    }

    [TestMethod]
    public void NonZeroExitWithoutError_LogsOPT9001WithTheExitCodeAndLastOutput()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine).Stderr("Unhandled exception. System.InvalidOperationException: boom");
        task.ExitCodeToReturn = 134;

        Assert.IsFalse(task.Execute());

        CollectionAssert.AreEqual(new[] { "OPT9001" }, engine.ErrorCodes.ToArray(), engine.Transcript());
        StringAssert.Contains(engine.Errors[0].Message, "134");
        StringAssert.Contains(engine.Errors[0].Message, "boom");
        Assert.AreEqual(folder.ModelPath, engine.Errors[0].File);
    }

    [TestMethod]
    public void SuccessWithoutOutputsList_LogsOPT9001()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine);
        task.WriteOutputsList = false;

        Assert.IsFalse(task.Execute());

        CollectionAssert.AreEqual(new[] { "OPT9001" }, engine.ErrorCodes.ToArray(), engine.Transcript());
        StringAssert.Contains(engine.Errors[0].Message, "outputs list");
    }

    [TestMethod]
    public void MissingCli_LogsOPT9001_WithoutRunningAnything()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var task = folder.NewTask(engine);
        task.CliPath = Path.Combine(folder.Root, "missing", "Optimizer.Cli.dll");

        Assert.IsFalse(task.Execute());

        CollectionAssert.AreEqual(new[] { "OPT9001" }, engine.ErrorCodes.ToArray(), engine.Transcript());
        Assert.IsNull(task.ResponseFileText);
    }

    [TestMethod]
    public void SummaryLines_ShowAtNormalVerbosity_DetailLinesOnlyAtDetailed()
    {
        using var folder = new TaskFolder();
        var engine = new RecordingBuildEngine();
        var summary = "net.onnx -> /abs/obj/net.cpu-int8.onnx  (4.1 MB -> 1.1 MB, cosine 0.9993 on 32 samples, 2.3 s)";
        var report = "  report: /abs/obj/net.cpu-int8.report.json, /abs/obj/net.cpu-int8.report.md";
        var task = folder.NewTask(engine).Stdout(summary).Stdout(report).Stdout("  quantized 5 Conv, 2 Gemm").Stderr("Unhandled failure detail");

        Assert.IsTrue(task.Execute(), engine.Transcript());

        Assert.AreEqual(MessageImportance.High, ImportanceOf(engine, summary));
        Assert.AreEqual(MessageImportance.Low, ImportanceOf(engine, report));
        Assert.AreEqual(MessageImportance.Low, ImportanceOf(engine, "  quantized 5 Conv, 2 Gemm"));
        Assert.AreEqual(MessageImportance.Normal, ImportanceOf(engine, "Unhandled failure detail"), "stderr text is a failure's detail: shown at normal verbosity");
    }

    private static MessageImportance ImportanceOf(RecordingBuildEngine engine, string text) =>
        engine.Messages.Single(m => m.Message == text).Importance;
}
