using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Profiles;

namespace Optimizer.Core.Tests.Float16;

[TestClass]
public sealed class KeptWeightToleranceConfigTests
{
    private const string File = "/repo/compression.yaml";

    [TestMethod]
    public void KeptWeightTolerance_DefaultsToTheFormatsUnitRoundoffAndCanBeSet()
    {
        var config = ConfigLoader.Parse("""
            version: 1
            profiles:
              gpu-fp16: {}
              gpu-bf16: { extends: gpu-fp16, float16: { precision: bfloat16 } }
              gpu-fp16-exact: { extends: gpu-fp16, float16: { kept_weight_tolerance: 0 } }
            """, File);

        var options = ProfileResolver.Resolve(config, []).Select(p => ProfilePasses.Float16OptionsFor(p.Settings.Float16)).ToList();

        Assert.AreEqual(1.0 / 2048, options[0].KeptWeightTolerance, "float16 rounds normal values within 2^-11");
        Assert.AreEqual(1.0 / 256, options[1].KeptWeightTolerance, "bfloat16 within 2^-8");
        Assert.AreEqual(0, options[2].KeptWeightTolerance);
    }

    [TestMethod]
    public void KeptWeightTolerance_OutOfRange_IsACodedErrorAtItsLine()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse("""
            version: 1
            profiles:
              gpu-fp16:
                float16: { kept_weight_tolerance: 2 }
            """, File));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual(4, error.Line);
    }
}
