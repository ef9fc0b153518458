using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Profiles;

namespace Optimizer.Core.Tests.Config;

[TestClass]
public sealed class ConfigLoaderTests
{
    private const string File = "/models/compression.yaml";

    [TestMethod]
    public void Parse_VersionOnly_UsesDefaultsAndBothBuiltInProfiles()
    {
        var config = ConfigLoader.Parse("version: 1\n", File);

        var profiles = ProfileResolver.Resolve(config, []);

        CollectionAssert.AreEqual(new[] { "cpu-int8", "gpu-fp16" }, profiles.Select(p => p.Name).ToArray());
        Assert.AreEqual(32, config.Calibration.Samples);
        Assert.IsNull(config.Budgets.MinCosine);
    }

    [TestMethod]
    public void Parse_FullFile_ReadsEverySetting()
    {
        var config = ConfigLoader.Parse("""
            version: 1
            calibration:
              data: calib/
              samples: 8
            profiles:
              cpu-int8:
                quantization: { per_channel: false, activations: int8, exclude_ops: [Resize], exclude_nodes: ["/head/*"] }
              edge:
                extends: cpu-int8
                budgets: { max_size: 2 MB }
              gpu-fp16:
                float16: { keep_io_types: false, block_ops: [Softmax] }
            budgets:
              min_cosine: 99%
              max_size: 8 MB
            """, File);

        Assert.AreEqual("/models/calib", config.Calibration.Data);
        Assert.AreEqual(8, config.Calibration.Samples);
        var cpu = config.Profiles[0];
        Assert.IsFalse(cpu.Quantization.PerChannel);
        Assert.AreEqual("int8", cpu.Quantization.Activations);
        CollectionAssert.AreEqual(new[] { "Resize" }, cpu.Quantization.ExcludeOps.ToArray());
        var edge = ProfileResolver.Resolve(config, ["edge"]).Single();
        Assert.AreEqual(ProfileKind.Int8, edge.Base.Kind);
        Assert.AreEqual(2L << 20, edge.Budgets.MaxSizeBytes);
        Assert.AreEqual(0.99, edge.Budgets.MinCosine!.Value, 1e-12);
        Assert.AreEqual(14, edge.Budgets.MinCosineAt!.Line);
        Assert.IsFalse(config.Profiles[2].Float16.KeepIoTypes);
    }

    [TestMethod]
    public void Parse_MisspelledKey_NamesLineAndSuggestsTheKey()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse("version: 1\ncalibration:\n  sample: 8\n", File));

        Assert.AreEqual(ErrorCodes.ConfigUnknownKey, error.Code);
        Assert.AreEqual(File, error.File);
        Assert.AreEqual(3, error.Line);
        Assert.AreEqual(3, error.Column);
        StringAssert.Contains(error.Message, "calibration.sample");
        StringAssert.Contains(error.Message, "Did you mean 'samples'?");
    }

    [TestMethod]
    public void Parse_SyntaxError_GivesOPT1001WithLineAndColumn()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse("version: 1\nprofiles:\n  cpu-int8: {quantization: [\n", File));

        Assert.AreEqual(ErrorCodes.ConfigSyntax, error.Code);
        Assert.IsTrue(error.Line >= 3, $"line {error.Line}");
        Assert.IsTrue(error.Column > 0);
    }

    [TestMethod]
    [DataRow("version: 2\n", ErrorCodes.ConfigInvalidValue, 1)]
    [DataRow("calibration: {}\n", ErrorCodes.ConfigInvalidValue, 1)]
    [DataRow("version: 1\ncalibration:\n  samples: many\n", ErrorCodes.ConfigInvalidValue, 3)]
    [DataRow("version: 1\nbudgets:\n  min_cosine: 1.5\n", ErrorCodes.ConfigInvalidValue, 3)]
    [DataRow("version: 1\nbudgets:\n  max_size: big\n", ErrorCodes.ConfigInvalidValue, 3)]
    [DataRow("version: 1\nprofiles:\n  cpu-int9: {}\n", ErrorCodes.UnknownProfile, 3)]
    [DataRow("version: 1\nprofiles:\n  gpu-fp16:\n    quantization: { per_channel: true }\n", ErrorCodes.ConfigInvalidValue, 4)]
    [DataRow("version: 1\nprofiles:\n  cpu-int8:\n    quantization: { activations: int4 }\n", ErrorCodes.ConfigInvalidValue, 4)]
    public void Parse_InvalidValue_GivesCodeAndLine(string yaml, string code, int line)
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse(yaml, File));

        Assert.AreEqual(code, error.Code, error.Message);
        Assert.AreEqual(line, error.Line, error.Message);
    }

    [TestMethod]
    public void Resolve_UnknownRequestedProfile_SuggestsTheClosest()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ProfileResolver.Resolve(CompressionConfig.Default, ["gpu-f16"]));

        Assert.AreEqual(ErrorCodes.UnknownProfile, error.Code);
        StringAssert.Contains(error.Message, "Did you mean 'gpu-fp16'?");
    }

    [TestMethod]
    [DataRow("8 MB", 8L << 20)]
    [DataRow("512 KB", 512L << 10)]
    [DataRow("8388608", 8388608L)]
    [DataRow("1.5GB", 3L << 29)]
    public void TryParseSize_AcceptsUnits(string text, long expected)
    {
        Assert.IsTrue(ConfigValues.TryParseSize(text, out var bytes));
        Assert.AreEqual(expected, bytes);
    }

    [TestMethod]
    public void FindLayers_FolderFileThenPerModelFile_ExplicitReplacesBoth()
    {
        var directory = Directory.CreateTempSubdirectory().FullName;
        System.IO.File.WriteAllText(Path.Combine(directory, "compression.yaml"), "version: 1\n");
        var model = Path.Combine(directory, "net.onnx");

        CollectionAssert.AreEqual(new[] { Path.Combine(directory, "compression.yaml") }, ConfigLocator.FindLayers(model, null).ToArray());
        System.IO.File.WriteAllText(Path.Combine(directory, "net.compression.yaml"), "version: 1\n");
        CollectionAssert.AreEqual(new[] { Path.Combine(directory, "compression.yaml"), Path.Combine(directory, "net.compression.yaml") },
            ConfigLocator.FindLayers(model, null).ToArray());
        CollectionAssert.AreEqual(new[] { "/x/explicit.yaml" }, ConfigLocator.FindLayers(model, "/x/explicit.yaml").ToArray());
    }
}
