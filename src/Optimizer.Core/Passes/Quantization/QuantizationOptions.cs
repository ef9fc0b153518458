namespace Optimizer.Core.Passes.Quantization;

/// <summary>The integer type activations are quantized to.</summary>
public enum ActivationType
{
    /// <summary>Asymmetric uint8: what ONNX Runtime's CPU provider fuses into QLinearConv/QLinearMatMul (the fast path).</summary>
    UInt8,

    /// <summary>Asymmetric int8: for targets that need it; ORT's CPU provider does not fuse int8-activation Conv.</summary>
    Int8,
}

/// <summary>How activation ranges are estimated from calibration data.</summary>
public enum CalibrationMethod
{
    /// <summary>The full min/max of every value seen.</summary>
    MinMax,

    /// <summary>Clips each side at a percentile of the observed magnitudes, trading rare outliers for resolution.</summary>
    Percentile,
}

/// <summary>
/// Settings of the static INT8 (QDQ) quantization pass. Defaults are the CPU INT8 profile: per-channel int8 weights,
/// uint8 activations, min/max calibration.
/// </summary>
public sealed record QuantizationOptions
{
    /// <summary>Per-output-channel weight scales (true) or one scale per weight tensor (false).</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>The activation integer type; keep uint8 for the CPU provider.</summary>
    public ActivationType ActivationType { get; init; } = ActivationType.UInt8;

    /// <summary>The range estimator used for activations.</summary>
    public CalibrationMethod CalibrationMethod { get; init; } = CalibrationMethod.MinMax;

    /// <summary>For <see cref="CalibrationMethod.Percentile"/>: the share of values (in percent) each range must cover.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Op types to leave in float (e.g. <c>Gemm</c> for a sensitive classifier head).</summary>
    public IReadOnlyList<string> ExcludeOpTypes { get; init; } = [];

    /// <summary>Node names to leave in float; exact names or globs with <c>*</c> and <c>?</c>.</summary>
    public IReadOnlyList<string> ExcludeNodeNames { get; init; } = [];
}
