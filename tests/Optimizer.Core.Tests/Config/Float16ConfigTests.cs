using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Profiles;
using Optimizer.Core.Verification;

namespace Optimizer.Core.Tests.Config;

[TestClass]
public sealed class Float16ConfigTests
{
    private const string File = "/m/compression.yaml";

    [TestMethod]
    public void Float16Section_PrecisionAndProtection_ReachThePassAndPickTheVerificationPath()
    {
        var config = ConfigLoader.Parse("""
            version: 1
            profiles:
              gpu-fp16: {}
              gpu-bf16:
                extends: gpu-fp16
                float16: { precision: bfloat16, protect_overflow: false }
            """, File);

        var profiles = ProfileResolver.Resolve(config, []);
        var fp16 = ProfilePasses.Float16OptionsFor(profiles[0].Settings.Float16);
        var bf16 = ProfilePasses.Float16OptionsFor(profiles[1].Settings.Float16);

        Assert.AreEqual(ReducedPrecision.Float16, fp16.Precision);
        Assert.IsTrue(fp16.ProtectOverflow);
        Assert.AreEqual(65504f, fp16.MaxMagnitude);
        Assert.AreEqual(ReducedPrecision.Bfloat16, bf16.Precision);
        Assert.IsFalse(bf16.ProtectOverflow);
        Assert.IsGreaterThan(3e38f, bf16.MaxMagnitude, "bfloat16 has float32's range");
        Assert.AreEqual(VerificationPath.Float16Emulation, VerificationPaths.For(profiles[0]));
        Assert.AreEqual(VerificationPath.Bfloat16Emulation, VerificationPaths.For(profiles[1]));
        Assert.AreEqual(VerificationPath.OnnxRuntimeCpu, VerificationPaths.For(ProfileResolver.Resolve(CompressionConfig.Default, ["cpu-int8"])[0]));
    }

    [TestMethod]
    public void Float16Section_UnknownPrecision_IsACodedErrorAtItsLine()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse("""
            version: 1
            profiles:
              gpu-fp16:
                float16: { precision: fp8 }
            """, File));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual(4, error.Line);
        StringAssert.Contains(error.Message, "bfloat16");
    }
}
