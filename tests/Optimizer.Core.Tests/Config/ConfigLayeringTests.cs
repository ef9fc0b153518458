using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Profiles;

namespace Optimizer.Core.Tests.Config;

[TestClass]
public sealed class ConfigLayeringTests
{
    private static string Folder() => Directory.CreateTempSubdirectory("optimizer-config-").FullName;

    [TestMethod]
    public void PerModelFile_OverridesTheFolderFileKeyByKey()
    {
        var folder = Folder();
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), """
            version: 1
            calibration:
              data: shared-calibration
              samples: 8
            budgets:
              min_cosine: 0.98
            """);
        File.WriteAllText(Path.Combine(folder, "net.compression.yaml"), """
            version: 1
            calibration:
              samples: 64
            """);

        var config = ConfigLocator.LoadFor(Path.Combine(folder, "net.onnx"), null, []);

        Assert.AreEqual(64, config.Calibration.Samples);
        Assert.AreEqual(Path.Combine(folder, "shared-calibration"), config.Calibration.Data);
        Assert.AreEqual(0.98, config.Budgets.MinCosine!.Value, 1e-12);
        Assert.AreEqual(Path.Combine(folder, "compression.yaml"), config.Budgets.MinCosineAt!.File);
        CollectionAssert.AreEqual(new[] { Path.Combine(folder, "compression.yaml"), Path.Combine(folder, "net.compression.yaml") }, config.SourceFiles.ToArray());
    }

    [TestMethod]
    public void ErrorInTheFolderFile_NamesThatFileAndLine()
    {
        var folder = Folder();
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\ncalibration:\n  smaples: 8\n");
        File.WriteAllText(Path.Combine(folder, "net.compression.yaml"), "version: 1\n");

        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLocator.LoadFor(Path.Combine(folder, "net.onnx"), null, []));

        Assert.AreEqual(ErrorCodes.ConfigUnknownKey, error.Code);
        Assert.AreEqual(Path.Combine(folder, "compression.yaml"), error.File);
        Assert.AreEqual(3, error.Line);
        StringAssert.Contains(error.Message, "Did you mean 'samples'?");
    }

    [TestMethod]
    public void Overrides_WinOverEveryFile_AndNameThemselvesInErrors()
    {
        var folder = Folder();
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\ncalibration:\n  samples: 8\n");

        var config = ConfigLocator.LoadFor(Path.Combine(folder, "net.onnx"), null,
            ["calibration.samples=16", "profiles.cpu-int8.quantization.exclude_ops=[Resize, Softmax]"]);
        var error = Assert.ThrowsExactly<OptimizerException>(() =>
            ConfigLocator.LoadFor(Path.Combine(folder, "net.onnx"), null, ["calibration.samples=lots"]));

        Assert.AreEqual(16, config.Calibration.Samples);
        CollectionAssert.AreEqual(new[] { "Resize", "Softmax" }, config.Profiles.Single().Quantization.ExcludeOps.ToArray());
        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual("--set calibration.samples=lots", error.File);
        Assert.AreEqual(0, error.Line);
    }

    [TestMethod]
    public void Extends_ChainsThroughCustomProfiles_InheritingEverySetting()
    {
        var config = ConfigLoader.Parse("""
            version: 1
            profiles:
              cpu-int8:
                quantization: { exclude_ops: [Resize] }
              edge:
                extends: cpu-int8
                quantization: { activations: int8 }
              tiny-edge:
                extends: edge
                budgets: { max_size: 1 MB }
            """, "/m/compression.yaml");

        var tiny = ProfileResolver.Resolve(config, ["tiny-edge"]).Single();

        Assert.AreEqual("cpu-int8", tiny.Base.Name);
        Assert.AreEqual("int8", tiny.Settings.Quantization.Activations);
        CollectionAssert.AreEqual(new[] { "Resize" }, tiny.Settings.Quantization.ExcludeOps.ToArray());
        Assert.AreEqual(1L << 20, tiny.Budgets.MaxSizeBytes);
    }

    [TestMethod]
    public void Extends_Cycle_IsAnErrorAtTheExtendsLine()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse("""
            version: 1
            profiles:
              a:
                extends: b
              b:
                extends: a
            """, "/m/compression.yaml"));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        StringAssert.Contains(error.Message, "a -> b -> a");
        Assert.AreEqual(6, error.Line);
    }

    [TestMethod]
    public void Extends_UnknownParent_SuggestsTheClosestProfile()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() =>
            ConfigLoader.Parse("version: 1\nprofiles:\n  edge:\n    extends: cpu-int9\n", "/m/compression.yaml"));

        Assert.AreEqual(ErrorCodes.UnknownProfile, error.Code);
        Assert.AreEqual(4, error.Line);
        StringAssert.Contains(error.Message, "Did you mean 'cpu-int8'?");
    }

    [TestMethod]
    public void BillionLaughs_IsRefusedBeforeExpansion()
    {
        var yaml = "version: 1\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" +
                   string.Concat(Enumerable.Range(0, 9).Select(i => $"{(char)('b' + i)}: &{(char)('b' + i)} [*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)}]\n"));

        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse(yaml, "/m/compression.yaml"));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        StringAssert.Contains(error.Message, "Anchors");
        Assert.AreEqual(2, error.Line);
    }

    [TestMethod]
    [DataRow("version: 1\ncalibration: !!python/object:os.system {}\n", "Tags")]
    [DataRow("version: 1\ncalibration: !custom {}\n", "Tags")]
    public void TypeConstructingTags_AreRefused(string yaml, string expected)
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse(yaml, "/m/compression.yaml"));

        StringAssert.Contains(error.Message, expected);
        Assert.AreEqual(2, error.Line);
    }

    [TestMethod]
    public void DeepNestingAndHugeScalars_AreRefused()
    {
        var deep = "version: 1\nx: " + new string('[', 200) + new string(']', 200) + "\n";
        var huge = "version: 1\ncalibration:\n  data: " + new string('a', YamlGuard.MaxScalarLength + 1) + "\n";

        StringAssert.Contains(Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse(deep, "/m/c.yaml")).Message, "nests deeper");
        StringAssert.Contains(Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse(huge, "/m/c.yaml")).Message, "longer than");
    }
}
