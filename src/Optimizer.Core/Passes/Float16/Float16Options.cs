namespace Optimizer.Core.Passes.Float16;

/// <summary>Settings of <see cref="Float16ConversionPass"/>; the defaults suit the GPU FP16 profile.</summary>
public sealed record Float16Options
{
    /// <summary>
    /// Keep the model's inputs and outputs float32 (Casts at the boundary), so the app's code and tensors do not change.
    /// When false, float inputs and outputs become float16.
    /// </summary>
    public bool KeepIoTypes { get; init; } = true;

    /// <summary>Op types that always run in float32 (their float inputs are cast back to float32). Defaults to <see cref="Float16OpTables.DefaultBlockOps"/>.</summary>
    public IReadOnlySet<string> BlockOps { get; init; } = Float16OpTables.DefaultBlockOps;

    /// <summary>Node names that run in float32, e.g. ones a user found sensitive.</summary>
    public IReadOnlySet<string> BlockNodeNames { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Keep in float32 every node whose float inputs or outputs exceed <see cref="MaxMagnitude"/> in the float32 model
    /// on calibration data, or that reads a weight beyond it.
    /// </summary>
    public bool ProtectOverflow { get; init; } = true;

    /// <summary>The 16-bit format weights and activations are converted to.</summary>
    public ReducedPrecision Precision { get; init; } = ReducedPrecision.Float16;

    /// <summary>
    /// The largest magnitude allowed in converted tensors; defaults to the largest finite value of
    /// <see cref="Precision"/> (65504 for float16). A lower limit leaves headroom for data beyond the calibration set.
    /// </summary>
    public float MaxMagnitude
    {
        get => _maxMagnitude ?? Precision.MaxValue();
        init => _maxMagnitude = value;
    }

    /// <summary>
    /// The largest relative rounding error, ‖w − round(w)‖₂ / ‖w‖₂, at which a weight read only by float32 nodes is still
    /// stored in the 16-bit format with one Cast back to float32 (halving its bytes); above it the weight stays exact
    /// float32. Defaults to <see cref="ReducedPrecisionFormats.UnitRoundoff"/> of <see cref="Precision"/>: the error every
    /// weight of the float16 nodes already has, so only weights with much of their mass in the subnormal range (where the
    /// format loses significant bits) stay float32. 0 keeps every such weight exact.
    /// </summary>
    public double KeptWeightTolerance
    {
        get => _keptWeightTolerance ?? Precision.UnitRoundoff();
        init => _keptWeightTolerance = value;
    }

    private readonly float? _maxMagnitude;
    private readonly double? _keptWeightTolerance;
}
