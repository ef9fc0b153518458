using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Profiles;

namespace Optimizer.Core.Tests.Config;

[TestClass]
public sealed class QuantizationConfigTests
{
    [TestMethod]
    public void QuantizationKeys_ReachTheInt8Pass()
    {
        var pass = Int8Pass("""
            version: 1
            budgets:
              min_cosine: 0.995
            profiles:
              cpu-int8:
                quantization: { mode: weight_only_int4, bias_correction: false, reduce_range: true, block_size: 64, int4_symmetric: true, activations: int8_symmetric }
                budgets: { max_top1_disagreement: 2% }
            """);

        Assert.AreEqual(QuantizationMode.WeightOnlyInt4, pass.Options.Mode);
        Assert.IsFalse(pass.Options.BiasCorrection);
        Assert.IsTrue(pass.Options.ReduceRange);
        Assert.AreEqual(64, pass.Options.BlockSize);
        Assert.IsTrue(pass.Options.Int4Symmetric);
        Assert.AreEqual(ActivationType.Int8Symmetric, pass.Options.ActivationType);
        Assert.AreEqual(new QuantizationBudget { MinCosine = 0.995, MaxTop1Disagreement = 0.02 }, pass.Options.Budget);
    }

    [TestMethod]
    public void QuantizationKeys_DefaultToStaticWithBiasCorrectionAndNoBudget()
    {
        var pass = Int8Pass("version: 1\n");

        Assert.AreEqual(QuantizationMode.Static, pass.Options.Mode);
        Assert.IsTrue(pass.Options.BiasCorrection);
        Assert.IsFalse(pass.Options.ReduceRange);
        Assert.AreEqual(32, pass.Options.BlockSize);
        Assert.IsNull(pass.Options.Budget, "without an accuracy budget the fallback never runs");
    }

    [TestMethod]
    [DataRow("mode: fast", "static, dynamic, weight_only_int4")]
    [DataRow("block_size: 48", "16, 32, 64, 128, 256")]
    [DataRow("reduce_range: maybe", "expected true or false")]
    public void QuantizationKeys_BadValue_IsACodedErrorAtTheLine(string setting, string expected)
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => Int8Pass($"version: 1\nprofiles:\n  cpu-int8:\n    quantization:\n      {setting}\n"));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual(5, error.Line);
        StringAssert.Contains(error.Message, expected);
    }

    [TestMethod]
    [DataRow("25%", 0.25)]
    [DataRow("0.1", 0.1)]
    [DataRow("0", 0.0)]
    public void MaxFallbackFraction_AcceptsFractionsAndPercentages(string value, double expected)
    {
        var pass = Int8Pass($"version: 1\nprofiles:\n  cpu-int8:\n    quantization: {{ max_fallback_fraction: {value} }}\n");

        Assert.AreEqual(expected, pass.Options.MaxFallbackFraction, 1e-12);
    }

    [TestMethod]
    public void MaxFallbackFraction_DefaultsToAQuarter() => Assert.AreEqual(0.25, Int8Pass("version: 1\n").Options.MaxFallbackFraction);

    [TestMethod]
    [DataRow("150%")]
    [DataRow("-0.5")]
    [DataRow("a quarter")]
    public void MaxFallbackFraction_OutOfRange_IsACodedErrorNamingTheKeyAtTheLine(string value)
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => Int8Pass($"version: 1\nprofiles:\n  edge:\n    extends: cpu-int8\n    quantization:\n      max_fallback_fraction: {value}\n"));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual("/tmp/compression.yaml", error.File);
        Assert.AreEqual(6, error.Line);
        StringAssert.Contains(error.Message, $"'profiles.edge.quantization.max_fallback_fraction' is '{value}'; expected a number from 0 to 1 or a percentage");
    }

    [TestMethod]
    public void ValidationData_ResolvesAgainstTheYamlFileAndRemembersItsLine()
    {
        var config = ConfigLoader.Parse("version: 1\ncalibration:\n  data: calibration/\n  validation_data: held-out/\n", "/m/compression.yaml");

        Assert.AreEqual("/m/held-out", config.Calibration.ValidationData);
        Assert.AreEqual(new SourceLocation("/m/compression.yaml", 4, 20), config.Calibration.ValidationDataAt);
    }

    [TestMethod]
    [DataRow("validation_dta: v/", "Did you mean 'validation_data'?", ErrorCodes.ConfigUnknownKey)]
    [DataRow("validation_data: [a, b]", "'calibration.validation_data' must be a single value", ErrorCodes.ConfigInvalidValue)]
    public void ValidationData_Mistyped_IsACodedErrorAtTheLine(string setting, string expected, string code)
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse($"version: 1\ncalibration:\n  {setting}\n", "/m/compression.yaml"));

        Assert.AreEqual(code, error.Code);
        Assert.AreEqual(3, error.Line);
        StringAssert.Contains(error.Message, expected);
    }

    private static QdqQuantizationPass Int8Pass(string yaml)
    {
        var config = ConfigLoader.Parse(yaml, "/tmp/compression.yaml");
        var profile = ProfileResolver.Resolve(config, ["cpu-int8"]).Single();
        return ProfilePasses.Create(profile, config.Calibration).OfType<QdqQuantizationPass>().Single();
    }
}
