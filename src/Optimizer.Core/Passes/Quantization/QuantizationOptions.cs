namespace Optimizer.Core.Passes.Quantization;

/// <summary>The integer type activations are quantized to.</summary>
public enum ActivationType
{
    /// <summary>Asymmetric uint8: what ONNX Runtime's CPU provider fuses into QLinearConv/QLinearMatMul (the fast path).</summary>
    UInt8,

    /// <summary>Asymmetric int8: for targets that need it; ORT's CPU provider does not fuse int8-activation Conv.</summary>
    Int8,

    /// <summary>Symmetric int8 (zero point 0, range ±127 steps): what some accelerators require.</summary>
    Int8Symmetric,
}

/// <summary>What the quantization pass turns weights and activations into.</summary>
public enum QuantizationMode
{
    /// <summary>Int8 weights and int8/uint8 activations with ranges calibrated offline, in QDQ form.</summary>
    Static,

    /// <summary>Int8 MatMul/Gemm (and LSTM) weights offline; activations quantized at run time (ORT's DynamicQuantizeMatMul). No calibration ranges.</summary>
    Dynamic,

    /// <summary>4-bit block-wise MatMul/Gemm weights in ORT's <c>com.microsoft.MatMulNBits</c> form; activations stay float.</summary>
    WeightOnlyInt4,
}

/// <summary>
/// The accuracy a quantized model must keep against the float model on the validation samples (the calibration
/// samples when there is no validation set); when it does not, the pass returns the most harmful nodes to float (see
/// <see cref="QuantizationOptions.Budget"/>).
/// </summary>
public sealed record QuantizationBudget
{
    /// <summary>Minimum cosine similarity of every output, or null.</summary>
    public double? MinCosine { get; init; }

    /// <summary>Maximum share (0 to 1) of output rows whose top-1 class changes, or null.</summary>
    public double? MaxTop1Disagreement { get; init; }
}

/// <summary>How activation ranges are estimated from calibration data.</summary>
public enum CalibrationMethod
{
    /// <summary>The full min/max of every value seen.</summary>
    MinMax,

    /// <summary>Clips each side at a percentile of the observed magnitudes, trading rare outliers for resolution.</summary>
    Percentile,

    /// <summary>The clipping threshold with the least KL divergence between the value histogram and its quantization.</summary>
    Entropy,

    /// <summary>The range with the least expected squared quantization error (rounding inside, clipping outside).</summary>
    Mse,
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

    /// <summary>Static, dynamic or weight-only 4-bit quantization.</summary>
    public QuantizationMode Mode { get; init; } = QuantizationMode.Static;

    /// <summary>Static mode: shift each quantized layer's bias by its mean output error on calibration data.</summary>
    public bool BiasCorrection { get; init; } = true;

    /// <summary>7-bit weights (-64..64), for x86 CPUs without VNNI whose u8 x s8 kernels saturate 16-bit sums of 8-bit products.</summary>
    public bool ReduceRange { get; init; }

    /// <summary>Weight-only int4: weights per block along the inner dimension (a power of two, at least 16).</summary>
    public int BlockSize { get; init; } = 32;

    /// <summary>Weight-only int4: symmetric blocks (implicit zero point 8) instead of a stored zero point per block.</summary>
    public bool Int4Symmetric { get; init; }

    /// <summary>Static mode: the accuracy the result must keep on the validation (else calibration) set, or null for no fallback.</summary>
    public QuantizationBudget? Budget { get; init; }

    /// <summary>
    /// Static mode: the largest share (0 to 1) of quantized nodes the accuracy fallback may return to float; 0 measures
    /// the budget and reports it without returning any node.
    /// </summary>
    public double MaxFallbackFraction { get; init; } = 0.25;
}
