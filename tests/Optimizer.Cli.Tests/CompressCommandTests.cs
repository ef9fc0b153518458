using Optimizer.Core.Onnx;
using Optimizer.Core.Reports;

namespace Optimizer.Cli.Tests;

[TestClass]
public sealed class CompressCommandTests
{
    private static string NewFolder() => Directory.CreateTempSubdirectory("optimizer-cli-").FullName;

    [TestMethod]
    public void Compress_BothProfiles_WritesVerifiedModelsReportsAndOutputsList()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        var outputs = Path.Combine(folder, "out");
        var list = Path.Combine(folder, "outputs.txt");

        var run = CliRun.Of("compress", model, "--output-dir", outputs, "--outputs-list", list);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        CollectionAssert.AreEqual(new[] { "OPT3001" }, System.Text.RegularExpressions.Regex.Matches(run.Error, @"warning (OPT\d+)").Select(m => m.Groups[1].Value).ToArray(), run.ToString());
        StringAssert.Contains(run.Error, model + ": warning OPT3001", "warnings without a file of their own are attributed to the model");
        var written = File.ReadAllLines(list);
        CollectionAssert.AreEqual(new[] { Path.Combine(outputs, "net.cpu-int8.onnx"), Path.Combine(outputs, "net.gpu-fp16.onnx") }, written);
        foreach (var path in written)
        {
            var report = ReportWriter.Read(Path.ChangeExtension(path, ".report.json"));
            Assert.IsTrue(report.Fidelity.Cosine > 0.98, $"{path}: cosine {report.Fidelity.Cosine}");
            Assert.IsTrue(report.SizeRatio < (report.Profile == "cpu-int8" ? 0.4 : 0.55), $"{path}: size ratio {report.SizeRatio}");
            Assert.AreEqual(new FileInfo(path).Length, report.OptimizedBytes);
            Assert.AreEqual(report.Profile, ModelMetadata.Get(ModelFile.Load(path), "optimizer.profile"));
        }

        StringAssert.Contains(run.Output, "net.onnx -> ");
        StringAssert.Contains(run.Output, "cosine ");
        Assert.AreEqual(2, run.Output.Split('\n').Count(l => l.StartsWith("net.onnx -> ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Compress_Twice_GivesByteIdenticalModels()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        Assert.AreEqual(0, CliRun.Of("compress", model, "-p", "cpu-int8", "-o", Path.Combine(folder, "a.onnx")).ExitCode);
        Assert.AreEqual(0, CliRun.Of("compress", model, "-p", "cpu-int8", "-o", Path.Combine(folder, "b.onnx")).ExitCode);

        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(folder, "a.onnx")), File.ReadAllBytes(Path.Combine(folder, "b.onnx")));
    }

    [TestMethod]
    public void Compress_Verbose_ShowsCalibrationProgress_QuietDoesNot()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        var verbose = CliRun.Of("compress", model, "-p", "cpu-int8", "-o", Path.Combine(folder, "a.onnx"), "--verbose");
        var quiet = CliRun.Of("compress", model, "-p", "cpu-int8", "-o", Path.Combine(folder, "b.onnx"));

        StringAssert.Contains(verbose.Output, "calibration sample 1/16");
        StringAssert.Contains(verbose.Output, "calibration sample 16/16");
        Assert.AreEqual(1, quiet.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, quiet.ToString());
    }

    [TestMethod]
    public void Compress_MissingModel_GivesOPT2001()
    {
        var run = CliRun.Of("compress", "/nonexistent/net.onnx");

        Assert.AreNotEqual(0, run.ExitCode);
        CollectionAssert.AreEqual(new[] { "OPT2001" }, run.ErrorCodes.ToArray(), run.ToString());
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    public void Compress_NotAModel_GivesOPT2002AndWritesNothing(int kind)
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        var bytes = File.ReadAllBytes(model);
        File.WriteAllBytes(model, kind == 0 ? bytes[..(bytes.Length / 3)] : Enumerable.Range(0, 5000).Select(i => (byte)(i * 31 % 256)).ToArray());

        var run = CliRun.Of("compress", model, "--output-dir", Path.Combine(folder, "out"));

        Assert.AreNotEqual(0, run.ExitCode);
        CollectionAssert.AreEqual(new[] { "OPT2002" }, run.ErrorCodes.ToArray(), run.ToString());
        StringAssert.StartsWith(run.Error, model + ": error OPT2002");
        Assert.IsFalse(Directory.Exists(Path.Combine(folder, "out")) && Directory.EnumerateFileSystemEntries(Path.Combine(folder, "out")).Any());
    }

    [TestMethod]
    public void Compress_UnknownProfile_GivesOPT1004WithSuggestion()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        var run = CliRun.Of("compress", model, "--profile", "cpu-int4");

        CollectionAssert.AreEqual(new[] { "OPT1004" }, run.ErrorCodes.ToArray(), run.ToString());
        StringAssert.Contains(run.Error, "Did you mean 'cpu-int8'?");
        Assert.AreEqual(1, Directory.GetFiles(folder).Length);
    }

    [TestMethod]
    public void Compress_YamlSyntaxError_PointsAtTheLine()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\nbudgets:\n  min_cosine: [0.9\n");

        var run = CliRun.Of("compress", model);

        CollectionAssert.AreEqual(new[] { "OPT1001" }, run.ErrorCodes.ToArray(), run.ToString());
        StringAssert.Matches(run.Error, new System.Text.RegularExpressions.Regex(@"compression\.yaml\(\d+,\d+\): error OPT1001"));
        Assert.AreEqual(2, Directory.GetFiles(folder).Length);
    }

    [TestMethod]
    public void Compress_BrokenBudget_FailsWithTheBudgetLineAndWritesNothing()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        File.WriteAllText(Path.Combine(folder, "net.compression.yaml"), "version: 1\nbudgets:\n  max_size: 1 KB\n");

        var run = CliRun.Of("compress", model, "-p", "gpu-fp16");

        CollectionAssert.AreEqual(new[] { "OPT4002" }, run.ErrorCodes.ToArray(), run.ToString());
        StringAssert.Contains(run.Error, "net.compression.yaml(3,13): error OPT4002");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "net.gpu-fp16.onnx")));
    }

    [TestMethod]
    public void Compress_OutputWithSeveralProfiles_IsAUsageError()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        var run = CliRun.Of("compress", model, "-o", Path.Combine(folder, "x.onnx"));

        CollectionAssert.AreEqual(new[] { "OPT1006" }, run.ErrorCodes.ToArray(), run.ToString());
    }

    [TestMethod]
    public void UnknownOption_IsACodedUsageError()
    {
        var run = CliRun.Of("compress", "net.onnx", "--profiel", "cpu-int8");

        Assert.AreEqual(CommandLine.UsageError, run.ExitCode);
        Assert.IsTrue(run.ErrorCodes.Count > 0 && run.ErrorCodes.All(c => c == "OPT1006"), run.ToString());
    }

    [TestMethod]
    public void Inspect_PrintsInputsOpsAndParameters()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        var run = CliRun.Of("inspect", model);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "image: float[batch, 3, 16, 16]");
        StringAssert.Contains(run.Output, "Parameters: 24,234 in 8 tensors");
        StringAssert.Matches(run.Output, new System.Text.RegularExpressions.Regex(@"Conv +3"));
        Assert.DoesNotContain("conv0", run.Output, "nodes are listed only on request");
    }

    [TestMethod]
    public void InspectOp_ListsThatOpsNodesByNameWithTheirWeightShapes()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        var run = CliRun.Of("inspect", model, "--op", "Conv");

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        // The weights are Constant nodes in this model, as some exporters write them; their shapes are shown all the same.
        StringAssert.Matches(run.Output, new System.Text.RegularExpressions.Regex(@"conv0 +Conv +\[16, 3, 3, 3\] \[16\]"));
        StringAssert.Contains(run.Output, "conv2");
        Assert.DoesNotContain("relu0", run.Output, "only the Conv nodes");
    }
}
