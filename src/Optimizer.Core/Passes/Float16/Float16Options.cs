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

    /// <summary>The largest magnitude allowed in float16 tensors; 65504 is float16's largest finite value.</summary>
    public float MaxMagnitude { get; init; } = 65504f;
}
