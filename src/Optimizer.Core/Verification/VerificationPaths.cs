using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Profiles;

namespace Optimizer.Core.Verification;

/// <summary>Picks how each profile's output is verified on this machine, which has no GPU.</summary>
public static class VerificationPaths
{
    /// <summary>
    /// GPU float16/bfloat16 profiles are verified by emulation, since ORT's CPU provider cannot show what their
    /// reduced precision does; every other profile runs its model directly in ORT on CPU.
    /// </summary>
    public static VerificationPath For(ResolvedProfile profile) => profile.Base.Kind switch
    {
        ProfileKind.Float16 => ProfilePasses.Float16OptionsFor(profile.Settings.Float16).Precision == ReducedPrecision.Bfloat16
            ? VerificationPath.Bfloat16Emulation
            : VerificationPath.Float16Emulation,
        _ => VerificationPath.OnnxRuntimeCpu,
    };
}
