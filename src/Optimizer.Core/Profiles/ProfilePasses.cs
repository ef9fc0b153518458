using Optimizer.Core.Config;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Passes.Pruning;
using Optimizer.Core.Passes.Quantization;

namespace Optimizer.Core.Profiles;

/// <summary>The passes each profile runs, in order, configured from its settings over the built-in defaults.</summary>
public static class ProfilePasses
{
    /// <summary>
    /// Creates the pass list for <paramref name="profile"/>: pruning first when configured (so quantization and float16
    /// see the final weights), then the profile's own pass. <paramref name="cacheDirectory"/> keeps sensitivity tables.
    /// </summary>
    public static IReadOnlyList<IModelPass> Create(ResolvedProfile profile, CalibrationSettings calibration, string? cacheDirectory = null) =>
    [
        .. PruningPassesFor(profile.Pruning, cacheDirectory),
        .. profile.Base.Kind switch
        {
            ProfileKind.Int8 => (IModelPass[]) [new QdqQuantizationPass(QuantizationOptionsFor(profile.Settings.Quantization, calibration, profile.Budgets))],
            ProfileKind.Float16 => [new Float16ConversionPass(Float16OptionsFor(profile.Settings.Float16))],
            _ => throw new ArgumentOutOfRangeException(nameof(profile), profile.Base.Kind, "Unknown profile kind."),
        },
    ];

    /// <summary>The pruning options for a profile's effective <c>pruning:</c> settings over the defaults.</summary>
    public static PruningOptions PruningOptionsFor(PruningSettings settings, string? cacheDirectory)
    {
        var defaults = new PruningOptions();
        return defaults with
        {
            Method = settings.Method == "magnitude" ? PruningMethod.Magnitude : defaults.Method,
            Sparsity = settings.Sparsity ?? defaults.Sparsity,
            Criterion = settings.Criterion switch { "l2" => PruningCriterion.L2, "apoz" => PruningCriterion.Apoz, _ => defaults.Criterion },
            Schedule = settings.Schedule == "sensitivity" ? PruningSchedule.Sensitivity : defaults.Schedule,
            Scope = settings.Scope == "global" ? MagnitudeScope.Global : defaults.Scope,
            Exclude = settings.Exclude ?? defaults.Exclude,
            Reconstruction = settings.Reconstruction ?? defaults.Reconstruction,
            MaxSamples = (int?)settings.Samples ?? defaults.MaxSamples,
            ChannelMultiple = (int?)settings.ChannelMultiple ?? defaults.ChannelMultiple,
            SensitivityFloor = settings.MinLayerCosine ?? defaults.SensitivityFloor,
            SensitivityReconstruction = settings.SensitivityReconstruction ?? defaults.SensitivityReconstruction,
            CacheDirectory = cacheDirectory,
        };
    }

    private static IReadOnlyList<IModelPass> PruningPassesFor(PruningSettings? settings, string? cacheDirectory) =>
        settings is null ? [] : [new PruningPass(PruningOptionsFor(settings, cacheDirectory))];

    /// <summary>
    /// The quantization options for a profile's <c>quantization:</c> settings over the defaults; the profile's accuracy
    /// <paramref name="budgets"/> (cosine, top-1) become the budget the pass's accuracy fallback works to.
    /// </summary>
    public static QuantizationOptions QuantizationOptionsFor(QuantizationSettings settings, CalibrationSettings calibration, BudgetSettings? budgets = null)
    {
        var defaults = new QuantizationOptions();
        return defaults with
        {
            PerChannel = settings.PerChannel ?? defaults.PerChannel,
            ActivationType = settings.Activations switch
            {
                "int8" => ActivationType.Int8,
                "int8_symmetric" => ActivationType.Int8Symmetric,
                _ => defaults.ActivationType,
            },
            Mode = settings.Mode switch
            {
                "dynamic" => QuantizationMode.Dynamic,
                "weight_only_int4" => QuantizationMode.WeightOnlyInt4,
                _ => defaults.Mode,
            },
            BiasCorrection = settings.BiasCorrection ?? defaults.BiasCorrection,
            ReduceRange = settings.ReduceRange ?? defaults.ReduceRange,
            BlockSize = settings.BlockSize ?? defaults.BlockSize,
            Int4Symmetric = settings.Int4Symmetric ?? defaults.Int4Symmetric,
            MaxFallbackFraction = settings.MaxFallbackFraction ?? defaults.MaxFallbackFraction,
            Budget = budgets is { MinCosine: null, MaxTop1Disagreement: null } or null ? null
                : new QuantizationBudget { MinCosine = budgets.MinCosine, MaxTop1Disagreement = budgets.MaxTop1Disagreement },
            CalibrationMethod = calibration.Method switch
            {
                "percentile" => CalibrationMethod.Percentile,
                "entropy" => CalibrationMethod.Entropy,
                "mse" => CalibrationMethod.Mse,
                _ => CalibrationMethod.MinMax,
            },
            Percentile = calibration.Percentile,
            ExcludeOpTypes = settings.ExcludeOps,
            ExcludeNodeNames = settings.ExcludeNodes,
        };
    }

    /// <summary>The float16 pass options for a profile's <c>float16:</c> settings over the defaults.</summary>
    public static Float16Options Float16OptionsFor(Float16Settings settings)
    {
        var defaults = new Float16Options();
        var options = defaults with
        {
            KeepIoTypes = settings.KeepIoTypes ?? defaults.KeepIoTypes,
            Precision = settings.Precision == "bfloat16" ? ReducedPrecision.Bfloat16 : defaults.Precision,
            ProtectOverflow = settings.ProtectOverflow ?? defaults.ProtectOverflow,
            BlockOps = new HashSet<string>(defaults.BlockOps.Concat(settings.BlockOps), StringComparer.Ordinal),
            BlockNodeNames = new HashSet<string>(settings.BlockNodes, StringComparer.Ordinal),
        };

        // Unset, the tolerance follows the precision (2^-11 float16, 2^-8 bfloat16), so it is only set when configured.
        return settings.KeptWeightTolerance is { } tolerance ? options with { KeptWeightTolerance = tolerance } : options;
    }
}
