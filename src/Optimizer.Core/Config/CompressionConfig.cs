namespace Optimizer.Core.Config;

/// <summary>Where a configuration value was written, so errors about it (e.g. a broken budget) point at the line.</summary>
public sealed record SourceLocation(string File, int Line, int Column);

/// <summary>
/// The parsed <c>compression.yaml</c>: calibration settings, per-profile overrides and budgets.
/// A file with just <c>version: 1</c> is complete: every setting has a default that works.
/// </summary>
public sealed record CompressionConfig
{
    /// <summary>The most specific YAML file this was read from, or null for the built-in defaults.</summary>
    public string? SourceFile { get; init; }

    /// <summary>Every YAML layer, least specific first (folder-wide compression.yaml, then net.compression.yaml).</summary>
    public IReadOnlyList<string> SourceFiles { get; init; } = [];

    /// <summary>Where calibration data comes from and how much of it to use.</summary>
    public CalibrationSettings Calibration { get; init; } = new();

    /// <summary>Profiles the file declares, in file order; empty means "the built-in profiles".</summary>
    public IReadOnlyList<ProfileSettings> Profiles { get; init; } = [];

    /// <summary>Limits that fail the build when broken, for every profile unless a profile overrides them.</summary>
    public BudgetSettings Budgets { get; init; } = new();

    /// <summary>The root <c>pruning:</c> section, run first in every profile; null when pruning is not configured.</summary>
    public PruningSettings? Pruning { get; init; }

    /// <summary>The defaults used when a model has no configuration file.</summary>
    public static CompressionConfig Default { get; } = new();
}

/// <summary>The <c>calibration:</c> section.</summary>
public sealed record CalibrationSettings
{
    /// <summary>Folder of calibration samples, absolute (resolved against the YAML file's folder), or null.</summary>
    public string? Data { get; init; }

    /// <summary>Where <see cref="Data"/> was set, for errors about the folder.</summary>
    public SourceLocation? DataAt { get; init; }

    /// <summary>
    /// Folder of separate validation samples (same layouts as <see cref="Data"/>), absolute, or null. When set, the
    /// accuracy fallback's budget and the report's fidelity are measured on these instead of the calibration samples.
    /// </summary>
    public string? ValidationData { get; init; }

    /// <summary>Where <see cref="ValidationData"/> was set, for errors about the folder.</summary>
    public SourceLocation? ValidationDataAt { get; init; }

    /// <summary>How many samples to use at most (the first N in name order), of the calibration and of the validation data each.</summary>
    public int Samples { get; init; } = 32;

    /// <summary>How activation ranges are estimated: <c>minmax</c>, <c>percentile</c>, <c>entropy</c> (KL divergence) or <c>mse</c>.</summary>
    public string Method { get; init; } = "minmax";

    /// <summary>How image files in the calibration folder become tensors, or null for the values derived from the model.</summary>
    public ImageSettings? Images { get; init; }

    /// <summary>For <c>percentile</c>: the percentile of |value| that becomes the range limit (e.g. 99.99).</summary>
    public double Percentile { get; init; } = 99.999;
}

/// <summary>The <c>budgets:</c> section: each limit remembers its source line for the error that reports it.</summary>
public sealed record BudgetSettings
{
    /// <summary>Minimum cosine similarity between original and optimized outputs.</summary>
    public double? MinCosine { get; init; }

    /// <summary>Where <see cref="MinCosine"/> was set.</summary>
    public SourceLocation? MinCosineAt { get; init; }

    /// <summary>Maximum size of the optimized model file in bytes.</summary>
    public long? MaxSizeBytes { get; init; }

    /// <summary>Where <see cref="MaxSizeBytes"/> was set.</summary>
    public SourceLocation? MaxSizeAt { get; init; }

    /// <summary>Maximum share of samples (0 to 1) whose top-1 class differs between original and optimized outputs.</summary>
    public double? MaxTop1Disagreement { get; init; }

    /// <summary>Where <see cref="MaxTop1Disagreement"/> was set.</summary>
    public SourceLocation? MaxTop1DisagreementAt { get; init; }

    /// <summary>Maximum optimized / original latency ratio, measured with ONNX Runtime on the build machine.</summary>
    public double? MaxLatencyRatio { get; init; }

    /// <summary>Where <see cref="MaxLatencyRatio"/> was set.</summary>
    public SourceLocation? MaxLatencyRatioAt { get; init; }

    /// <summary>This budget with every limit <paramref name="overrides"/> sets replacing ours.</summary>
    public BudgetSettings OverriddenBy(BudgetSettings? overrides) => overrides is null ? this : new BudgetSettings
    {
        MinCosine = overrides.MinCosine ?? MinCosine,
        MinCosineAt = overrides.MinCosine is null ? MinCosineAt : overrides.MinCosineAt,
        MaxSizeBytes = overrides.MaxSizeBytes ?? MaxSizeBytes,
        MaxSizeAt = overrides.MaxSizeBytes is null ? MaxSizeAt : overrides.MaxSizeAt,
        MaxTop1Disagreement = overrides.MaxTop1Disagreement ?? MaxTop1Disagreement,
        MaxTop1DisagreementAt = overrides.MaxTop1Disagreement is null ? MaxTop1DisagreementAt : overrides.MaxTop1DisagreementAt,
        MaxLatencyRatio = overrides.MaxLatencyRatio ?? MaxLatencyRatio,
        MaxLatencyRatioAt = overrides.MaxLatencyRatio is null ? MaxLatencyRatioAt : overrides.MaxLatencyRatioAt,
    };
}

/// <summary>One entry under <c>profiles:</c>; unset values fall back to the built-in profile it extends.</summary>
public sealed record ProfileSettings
{
    /// <summary>The profile's name, used in output file names (<c>net.&lt;name&gt;.onnx</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The built-in profile this one builds on (itself for built-in names).</summary>
    public required string Extends { get; init; }

    /// <summary>Where the profile was declared.</summary>
    public SourceLocation? DeclaredAt { get; init; }

    /// <summary>The <c>quantization:</c> overrides.</summary>
    public QuantizationSettings Quantization { get; init; } = new();

    /// <summary>The <c>float16:</c> overrides.</summary>
    public Float16Settings Float16 { get; init; } = new();

    /// <summary>Budgets for this profile only.</summary>
    public BudgetSettings? Budgets { get; init; }

    /// <summary>The profile's <c>pruning:</c> overrides of the root section (pruning runs for this profile even without a root section).</summary>
    public PruningSettings? Pruning { get; init; }
}

/// <summary>The <c>pruning:</c> keys (root or per profile); unset keys fall back to the root section, then to the defaults.</summary>
public sealed record PruningSettings
{
    /// <summary>The largest sparsity accepted: every layer must keep some weights.</summary>
    public const double MaxSparsity = 0.95;

    /// <summary><c>magnitude</c> (zero the smallest weights) or <c>channel</c> (remove whole channels).</summary>
    public string? Method { get; init; }

    /// <summary>Fraction of weights (magnitude) or of prunable channels (channel) to remove, 0 to 0.95.</summary>
    public double? Sparsity { get; init; }

    /// <summary>Channel importance: <c>l1</c>, <c>l2</c> or <c>apoz</c>.</summary>
    public string? Criterion { get; init; }

    /// <summary>How channel ratios are spread: <c>uniform</c> or <c>sensitivity</c>.</summary>
    public string? Schedule { get; init; }

    /// <summary>Magnitude threshold per tensor (<c>layer</c>) or over all weights (<c>global</c>).</summary>
    public string? Scope { get; init; }

    /// <summary>Node or weight names (or globs) never pruned.</summary>
    public IReadOnlyList<string>? Exclude { get; init; }

    /// <summary>Refit the layers that lost input channels on calibration data.</summary>
    public bool? Reconstruction { get; init; }

    /// <summary>At most this many calibration samples feed sensitivity analysis, APoZ and reconstruction (1 to 1024).</summary>
    public long? Samples { get; init; }

    /// <summary>Kept channel counts are rounded to a multiple of this (1 to 64; 1 keeps exact ratios).</summary>
    public long? ChannelMultiple { get; init; }

    /// <summary>Sensitivity schedule: the lowest output cosine a group may reach when pruned alone (0 to 1).</summary>
    public double? MinLayerCosine { get; init; }

    /// <summary>Sensitivity schedule: refit the following layers in every trial (slower, closer to the final result).</summary>
    public bool? SensitivityReconstruction { get; init; }

    /// <summary>These settings with every key <paramref name="overrides"/> sets replacing ours.</summary>
    public PruningSettings OverriddenBy(PruningSettings? overrides) => overrides is null ? this : new PruningSettings
    {
        Method = overrides.Method ?? Method,
        Sparsity = overrides.Sparsity ?? Sparsity,
        Criterion = overrides.Criterion ?? Criterion,
        Schedule = overrides.Schedule ?? Schedule,
        Scope = overrides.Scope ?? Scope,
        Exclude = overrides.Exclude ?? Exclude,
        Reconstruction = overrides.Reconstruction ?? Reconstruction,
        Samples = overrides.Samples ?? Samples,
        ChannelMultiple = overrides.ChannelMultiple ?? ChannelMultiple,
        MinLayerCosine = overrides.MinLayerCosine ?? MinLayerCosine,
        SensitivityReconstruction = overrides.SensitivityReconstruction ?? SensitivityReconstruction,
    };
}

/// <summary>The <c>quantization:</c> keys of a profile.</summary>
public sealed record QuantizationSettings
{
    /// <summary>Per-channel weight scales (more accurate) instead of one scale per tensor.</summary>
    public bool? PerChannel { get; init; }

    /// <summary>Activation element type: <c>uint8</c> (fused by ORT's CPU provider), <c>int8</c> or <c>int8_symmetric</c>.</summary>
    public string? Activations { get; init; }

    /// <summary><c>static</c> (calibrated QDQ), <c>dynamic</c> (activations quantized at run time) or <c>weight_only_int4</c>.</summary>
    public string? Mode { get; init; }

    /// <summary>Shift quantized layers' biases by their mean output error on calibration data (default true).</summary>
    public bool? BiasCorrection { get; init; }

    /// <summary>7-bit weights for CPUs without VNNI (default false).</summary>
    public bool? ReduceRange { get; init; }

    /// <summary>For <c>weight_only_int4</c>: weights per block along the inner dimension (16, 32, 64, 128 or 256).</summary>
    public int? BlockSize { get; init; }

    /// <summary>For <c>weight_only_int4</c>: symmetric blocks without zero points (default false).</summary>
    public bool? Int4Symmetric { get; init; }

    /// <summary>The largest share (0 to 1) of quantized nodes the accuracy fallback may return to float (default 0.25).</summary>
    public double? MaxFallbackFraction { get; init; }

    /// <summary>Op types never quantized.</summary>
    public IReadOnlyList<string> ExcludeOps { get; init; } = [];

    /// <summary>Node names (or glob patterns) never quantized.</summary>
    public IReadOnlyList<string> ExcludeNodes { get; init; } = [];
}

/// <summary>The <c>float16:</c> keys of a profile.</summary>
public sealed record Float16Settings
{
    /// <summary>Keep graph inputs and outputs float32 with Casts at the boundary.</summary>
    public bool? KeepIoTypes { get; init; }

    /// <summary>Op types kept in float32, added to the profile's defaults.</summary>
    public IReadOnlyList<string> BlockOps { get; init; } = [];

    /// <summary>Node names kept in float32.</summary>
    public IReadOnlyList<string> BlockNodes { get; init; } = [];

    /// <summary>The 16-bit format: <c>float16</c> (default) or <c>bfloat16</c>.</summary>
    public string? Precision { get; init; }

    /// <summary>Keep nodes whose values exceed the format's range on calibration data in float32 (default true).</summary>
    public bool? ProtectOverflow { get; init; }

    /// <summary>Relative rounding error up to which weights read only by float32 nodes are still stored in 16 bits (default: the format's unit roundoff; 0 keeps them exact).</summary>
    public double? KeptWeightTolerance { get; init; }
}
