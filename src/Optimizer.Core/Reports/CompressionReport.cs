using Optimizer.Core.Verification;

namespace Optimizer.Core.Reports;

/// <summary>What one pass did and how long it took.</summary>
public sealed record PassReport(string Name, double Seconds, IReadOnlyList<string> Notes);

/// <summary>Source and optimized model sizes after gzip (what an app package or a download costs), in bytes.</summary>
public sealed record CompressedSizes(long OriginalBytes, long OptimizedBytes)
{
    /// <summary><see cref="OptimizedBytes"/> / <see cref="OriginalBytes"/>.</summary>
    public double Ratio => OriginalBytes == 0 ? 1 : OptimizedBytes / (double)OriginalBytes;
}

/// <summary>
/// Everything a person or a release pipeline needs to know about one optimized model: sizes, what each pass did,
/// how faithful the result is, on how many (and what kind of) samples, and how long it took.
/// </summary>
public sealed record CompressionReport
{
    /// <summary>The tool version that produced the model.</summary>
    public required string ToolVersion { get; init; }

    /// <summary>The source model.</summary>
    public required string Model { get; init; }

    /// <summary>The profile name.</summary>
    public required string Profile { get; init; }

    /// <summary>The ONNX Runtime execution provider the output is meant for.</summary>
    public required string ExecutionProvider { get; init; }

    /// <summary>The optimized model file.</summary>
    public required string Output { get; init; }

    /// <summary>The configuration file used, or null for defaults.</summary>
    public string? Config { get; init; }

    /// <summary>Source model size in bytes.</summary>
    public required long OriginalBytes { get; init; }

    /// <summary>Optimized model size in bytes.</summary>
    public required long OptimizedBytes { get; init; }

    /// <summary><see cref="OptimizedBytes"/> / <see cref="OriginalBytes"/>.</summary>
    public double SizeRatio => OriginalBytes == 0 ? 1 : OptimizedBytes / (double)OriginalBytes;

    /// <summary>
    /// Both models' gzip sizes when the profile pruned (magnitude-pruned zeros shrink the package, not the file); null
    /// otherwise. Measured on the serialized models in memory, external data included.
    /// </summary>
    public CompressedSizes? Compressed { get; init; }

    /// <summary>Where the calibration and verification samples came from, or null for generated ones.</summary>
    public string? CalibrationSource { get; init; }

    /// <summary>True when no data was given and random inputs were used: ranges and fidelity are then rough.</summary>
    public bool SyntheticCalibration { get; init; }

    /// <summary>
    /// The separate validation folder (<c>calibration.validation_data</c>) that <see cref="Fidelity"/> and the accuracy
    /// fallback were measured on, or null when they used the calibration samples.
    /// </summary>
    public string? ValidationSource { get; init; }

    /// <summary>The passes, in order.</summary>
    public required IReadOnlyList<PassReport> Passes { get; init; }

    /// <summary>Original vs optimized outputs on the verification samples.</summary>
    public required FidelityReport Fidelity { get; init; }

    /// <summary>
    /// How <see cref="Fidelity"/> was measured: by running the optimized model in ONNX Runtime on CPU, or (GPU float16
    /// and bfloat16 profiles) on a float32 emulation of its reduced precision, since no GPU is at hand.
    /// </summary>
    public VerificationPath Verification { get; init; } = VerificationPath.OnnxRuntimeCpu;

    /// <summary>Original vs optimized latency on the build machine, or null when there was no sample to time.</summary>
    public LatencyReport? Latency { get; init; }

    /// <summary>Every configured budget with its measured value, passed or not.</summary>
    public IReadOnlyList<BudgetResult> Budgets { get; init; } = [];

    /// <summary>Wall time for this profile, calibration included.</summary>
    public required double Seconds { get; init; }
}
