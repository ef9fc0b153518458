namespace Optimizer.Core.Verification;

/// <summary>
/// Median latency of the original and the optimized model on the build machine (ONNX Runtime CPU provider, one
/// thread, interleaved runs). An FP16 model's CPU latency says little about its GPU latency; the ratio is still what
/// <c>max_latency_ratio</c> checks, because the build machine is the only one measured.
/// </summary>
public sealed record LatencyReport(double OriginalMilliseconds, double OptimizedMilliseconds, int Rounds, int Threads)
{
    /// <summary><see cref="OptimizedMilliseconds"/> / <see cref="OriginalMilliseconds"/>.</summary>
    public double Ratio => OriginalMilliseconds <= 0 ? 1 : OptimizedMilliseconds / OriginalMilliseconds;
}
