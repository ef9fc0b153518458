using Optimizer.Core.Config;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Passes.Quantization;

namespace Optimizer.Core.Profiles;

/// <summary>The passes each profile runs, in order, configured from its settings over the built-in defaults.</summary>
public static class ProfilePasses
{
    /// <summary>Creates the pass list for <paramref name="profile"/>.</summary>
    public static IReadOnlyList<IModelPass> Create(ResolvedProfile profile, CalibrationSettings calibration) => profile.Base.Kind switch
    {
        ProfileKind.Int8 => [new QdqQuantizationPass(QuantizationOptionsFor(profile.Settings.Quantization, calibration))],
        ProfileKind.Float16 => [new Float16ConversionPass(Float16OptionsFor(profile.Settings.Float16))],
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile.Base.Kind, "Unknown profile kind."),
    };

    private static QuantizationOptions QuantizationOptionsFor(QuantizationSettings settings, CalibrationSettings calibration)
    {
        var defaults = new QuantizationOptions();
        return defaults with
        {
            PerChannel = settings.PerChannel ?? defaults.PerChannel,
            ActivationType = settings.Activations == "int8" ? ActivationType.Int8 : defaults.ActivationType,
            CalibrationMethod = calibration.Method == "percentile" ? CalibrationMethod.Percentile : CalibrationMethod.MinMax,
            Percentile = calibration.Percentile,
            ExcludeOpTypes = settings.ExcludeOps,
            ExcludeNodeNames = settings.ExcludeNodes,
        };
    }

    private static Float16Options Float16OptionsFor(Float16Settings settings)
    {
        var defaults = new Float16Options();
        return defaults with
        {
            KeepIoTypes = settings.KeepIoTypes ?? defaults.KeepIoTypes,
            BlockOps = new HashSet<string>(defaults.BlockOps.Concat(settings.BlockOps), StringComparer.Ordinal),
            BlockNodeNames = new HashSet<string>(settings.BlockNodes, StringComparer.Ordinal),
        };
    }
}
