using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Profiles;

namespace Optimizer.Core.Tests.Config;

[TestClass]
public sealed class CalibrationMethodConfigTests
{
    [TestMethod]
    [DataRow("minmax", CalibrationMethod.MinMax)]
    [DataRow("percentile", CalibrationMethod.Percentile)]
    [DataRow("entropy", CalibrationMethod.Entropy)]
    [DataRow("mse", CalibrationMethod.Mse)]
    public void CalibrationMethod_ReachesTheInt8Pass(string method, CalibrationMethod expected)
    {
        var config = ConfigLoader.Parse($"version: 1\ncalibration:\n  method: {method}\n", "/tmp/compression.yaml");

        var profile = ProfileResolver.Resolve(config, ["cpu-int8"]).Single();
        var pass = ProfilePasses.Create(profile, config.Calibration).OfType<QdqQuantizationPass>().Single();

        Assert.AreEqual(expected, pass.Options.CalibrationMethod);
    }

    [TestMethod]
    public void CalibrationMethod_Unknown_IsACodedErrorListingTheMethods()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() =>
            ConfigLoader.Parse("version: 1\ncalibration:\n  method: kl\n", "/tmp/compression.yaml"));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        StringAssert.Contains(error.Message, "entropy");
        StringAssert.Contains(error.Message, "mse");
    }
}
