namespace Optimizer.Cli.Tests;

[TestClass]
public sealed class ConfigCommandsTests
{
    private static string NewFolder() => Directory.CreateTempSubdirectory("optimizer-cli-").FullName;

    [TestMethod]
    public void Init_WritesAStarterFileThatCompressAccepts()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        var init = CliRun.Of("init", model);
        var again = CliRun.Of("init", model);
        var compress = CliRun.Of("compress", model, "-p", "cpu-int8", "-o", Path.Combine(folder, "int8.onnx"));

        Assert.AreEqual(0, init.ExitCode, init.ToString());
        var text = File.ReadAllText(Path.Combine(folder, "compression.yaml"));
        StringAssert.StartsWith(text, "# yaml-language-server: $schema=file://");
        StringAssert.Contains(text, "compression.schema.json");
        Assert.IsTrue(File.Exists(new Uri(text.Split('\n')[0].Split("$schema=")[1].Trim()).LocalPath), "the schema the modeline names exists");
        CollectionAssert.AreEqual(new[] { "OPT1006" }, again.ErrorCodes.ToArray(), "init does not overwrite without --force");
        Assert.AreEqual(0, compress.ExitCode, compress.ToString());
    }

    [TestMethod]
    public void Config_ShowsLayersOverridesAndDefaults()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\ncalibration:\n  samples: 4\n");

        var run = CliRun.Of("config", model, "--set", "budgets.min_cosine=0.97");

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "samples: 4  # compression.yaml:3");
        StringAssert.Contains(run.Output, "min_cosine: 0.97  # --set budgets.min_cosine=0.97");
        StringAssert.Contains(run.Output, "cpu-int8:  # built in");
    }

    [TestMethod]
    public void InitAndConfig_ShowTheValidationDataAndTheFallbackCap()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        var init = CliRun.Of("init", model);
        var template = File.ReadAllText(Path.Combine(folder, "compression.yaml"));
        File.WriteAllText(Path.Combine(folder, "compression.yaml"),
            "version: 1\ncalibration:\n  validation_data: held-out/\nprofiles:\n  cpu-int8:\n    quantization: { max_fallback_fraction: 10% }\n");
        var config = CliRun.Of("config", model);

        Assert.AreEqual(0, init.ExitCode, init.ToString());
        StringAssert.Contains(template, "  # validation_data: validation/");
        StringAssert.Contains(template, "    max_fallback_fraction: 0.25");
        Assert.AreEqual(0, config.ExitCode, config.ToString());
        StringAssert.Contains(config.Output, "  validation_data: held-out/  # compression.yaml:3");
        StringAssert.Contains(config.Output, "      max_fallback_fraction: 10%  # compression.yaml:6");
    }

    [TestMethod]
    public void Compress_ValidationFolderThatDoesNotExist_PointsAtTheYamlLine()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\ncalibration:\n  validation_data: missing/\n");

        var run = CliRun.Of("compress", model);

        CollectionAssert.AreEqual(new[] { "OPT3002" }, run.ErrorCodes.ToArray(), run.ToString());
        StringAssert.Contains(run.Error, "compression.yaml(3,20): error OPT3002: calibration.validation_data names");
    }

    [TestMethod]
    public void Compress_SetOverride_WithABadValue_IsACodedError()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);

        var run = CliRun.Of("compress", model, "--set", "calibration.samples=zero");

        CollectionAssert.AreEqual(new[] { "OPT1003" }, run.ErrorCodes.ToArray(), run.ToString());
        StringAssert.StartsWith(run.Error, "--set calibration.samples=zero: error OPT1003");
    }

    [TestMethod]
    public void Compress_CalibrationFolderThatDoesNotExist_PointsAtTheYamlLine()
    {
        var folder = NewFolder();
        var model = ModelFiles.WriteConvNet(folder);
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\ncalibration:\n  data: missing/\n");

        var run = CliRun.Of("compress", model);

        CollectionAssert.AreEqual(new[] { "OPT3002" }, run.ErrorCodes.ToArray(), run.ToString());
        StringAssert.Contains(run.Error, "compression.yaml(3,9): error OPT3002");
    }
}
