namespace Optimizer.Core.Passes.Pruning;

/// <summary>What pruning removes.</summary>
public enum PruningMethod
{
    /// <summary>Zeroes the smallest weights; the model keeps its shape but compresses much better (unstructured).</summary>
    Magnitude,

    /// <summary>Removes whole output channels (filters) and rewires every consumer; the model gets smaller and faster.</summary>
    Channel,
}

/// <summary>How channel importance is scored.</summary>
public enum PruningCriterion
{
    /// <summary>L1 norm of the channel's filter(s).</summary>
    L1,

    /// <summary>L2 norm of the channel's filter(s).</summary>
    L2,

    /// <summary>Average percentage of zeros of the channel's activation after ReLU on calibration data (more zeros, less important).</summary>
    Apoz,
}

/// <summary>How the target sparsity is spread over layers (channel groups).</summary>
public enum PruningSchedule
{
    /// <summary>Every prunable group loses the same fraction of its channels.</summary>
    Uniform,

    /// <summary>Per-group ratios chosen from a sensitivity analysis on calibration data: robust groups lose more.</summary>
    Sensitivity,
}

/// <summary>Where the magnitude threshold is computed.</summary>
public enum MagnitudeScope
{
    /// <summary>Each weight tensor loses the same fraction of its values.</summary>
    Layer,

    /// <summary>One threshold over all prunable weights: layers with many small weights lose more.</summary>
    Global,
}

/// <summary>Settings of <see cref="PruningPass"/>; the defaults remove 30% of the channels (L1, uniform) and refit the layers after them.</summary>
public sealed record PruningOptions
{
    /// <summary>Unstructured magnitude pruning or structured channel pruning.</summary>
    public PruningMethod Method { get; init; } = PruningMethod.Channel;

    /// <summary>Fraction of weights (magnitude) or of prunable channels (channel) to remove, from 0 to 0.95.</summary>
    public double Sparsity { get; init; } = 0.3;

    /// <summary>Channel importance criterion.</summary>
    public PruningCriterion Criterion { get; init; } = PruningCriterion.L1;

    /// <summary>How channel ratios are spread over groups.</summary>
    public PruningSchedule Schedule { get; init; } = PruningSchedule.Uniform;

    /// <summary>Layer-wise or global threshold for magnitude pruning.</summary>
    public MagnitudeScope Scope { get; init; } = MagnitudeScope.Layer;

    /// <summary>Node or weight names (exact or <c>*</c>/<c>?</c> globs) never pruned.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Refit the layers whose input channels were removed by regularised least squares on calibration data.</summary>
    public bool Reconstruction { get; init; } = true;

    /// <summary>
    /// Sensitivity schedule: a group whose output cosine drops below this when pruned alone at a ratio is not pruned
    /// that far (the group is "too sensitive").
    /// </summary>
    public double SensitivityFloor { get; init; } = 0.5;

    /// <summary>
    /// Sensitivity schedule: refit the layers after each trial-pruned group before measuring it, so the table shows
    /// what pruning with reconstruction costs. Off by default: every trial then runs the original and the pruned model
    /// once more per refitted layer, several times the analysis time.
    /// </summary>
    public bool SensitivityReconstruction { get; init; }

    /// <summary>Folder where sensitivity tables are cached by model and settings hash; null disables the cache.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// Kept channel counts are rounded to a multiple of this when a group's channel count is one: ONNX Runtime's CPU
    /// convolutions work on blocks of 8 channels, and a pruned layer with an odd count can run slower than the original.
    /// 1 keeps exact ratios.
    /// </summary>
    public int ChannelMultiple { get; init; } = 8;

    /// <summary>At most this many calibration samples feed sensitivity analysis, APoZ and reconstruction (cost grows linearly).</summary>
    public int MaxSamples { get; init; } = 16;
}
