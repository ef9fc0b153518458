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

    private static QdqQuantizationPass Int8Pass(string yaml)
    {
        var config = ConfigLoader.Parse(yaml, "/tmp/compression.yaml");
        var profile = ProfileResolver.Resolve(config, ["cpu-int8"]).Single();
        return ProfilePasses.Create(profile, config.Calibration).OfType<QdqQuantizationPass>().Single();
    }
}
