namespace Optimizer.Core.Config;

/// <summary>Where a configuration value was written, so errors about it (e.g. a broken budget) point at the line.</summary>
public sealed record SourceLocation(string File, int Line, int Column);

/// <summary>
/// The parsed <c>compression.yaml</c>: calibration settings, per-profile overrides and budgets.
/// A file with just <c>version: 1</c> is complete: every setting has a default that works.
/// </summary>
public sealed record CompressionConfig
{
    /// <summary>The YAML file this was read from, or null for the built-in defaults.</summary>
    public string? SourceFile { get; init; }

    /// <summary>Where calibration data comes from and how much of it to use.</summary>
    public CalibrationSettings Calibration { get; init; } = new();

    /// <summary>Profiles the file declares, in file order; empty means "the built-in profiles".</summary>
    public IReadOnlyList<ProfileSettings> Profiles { get; init; } = [];

    /// <summary>Limits that fail the build when broken, for every profile unless a profile overrides them.</summary>
    public BudgetSettings Budgets { get; init; } = new();

    /// <summary>The defaults used when a model has no configuration file.</summary>
    public static CompressionConfig Default { get; } = new();
}

/// <summary>The <c>calibration:</c> section.</summary>
public sealed record CalibrationSettings
{
    /// <summary>Folder of calibration samples, absolute (resolved against the YAML file's folder), or null.</summary>
    public string? Data { get; init; }

    /// <summary>How many samples to use at most (the first N in name order).</summary>
    public int Samples { get; init; } = 32;

    /// <summary>How activation ranges are estimated: <c>minmax</c> or <c>percentile</c>.</summary>
    public string Method { get; init; } = "minmax";

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

    /// <summary>This budget with every limit <paramref name="overrides"/> sets replacing ours.</summary>
    public BudgetSettings OverriddenBy(BudgetSettings? overrides) => overrides is null ? this : new BudgetSettings
    {
        MinCosine = overrides.MinCosine ?? MinCosine,
        MinCosineAt = overrides.MinCosine is null ? MinCosineAt : overrides.MinCosineAt,
        MaxSizeBytes = overrides.MaxSizeBytes ?? MaxSizeBytes,
        MaxSizeAt = overrides.MaxSizeBytes is null ? MaxSizeAt : overrides.MaxSizeAt,
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
}

/// <summary>The <c>quantization:</c> keys of a profile.</summary>
public sealed record QuantizationSettings
{
    /// <summary>Per-channel weight scales (more accurate) instead of one scale per tensor.</summary>
    public bool? PerChannel { get; init; }

    /// <summary>Activation element type: <c>uint8</c> (fused by ORT's CPU provider) or <c>int8</c>.</summary>
    public string? Activations { get; init; }

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
}
