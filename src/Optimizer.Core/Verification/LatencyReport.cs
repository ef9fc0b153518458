namespace Optimizer.Core.Verification;

/// <summary>
/// Median latency of the original and the optimized model on the build machine (ONNX Runtime CPU provider, one
/// thread). An FP16 model's CPU latency says little about its GPU latency; the ratio is still what
/// <c>max_latency_ratio</c> checks, because the build machine is the only one measured.
/// </summary>
/// <param name="OriginalMilliseconds">The original model's median milliseconds per run.</param>
/// <param name="OptimizedMilliseconds">The optimized model's median milliseconds per run.</param>
/// <param name="Rounds">Runs per model that the medians are taken over (the fewer of the two when timed apart).</param>
/// <param name="Threads">ONNX Runtime intra-op threads per run.</param>
/// <param name="Interleaved">
/// True when the runs alternated between the models (both sessions open at once, so noise hits both alike); false for
/// large models, timed one after the other so that only one of their sessions is in memory at a time
/// (<see cref="LatencyMeter.Interleaves"/>).
/// </param>
public sealed record LatencyReport(double OriginalMilliseconds, double OptimizedMilliseconds, int Rounds, int Threads, bool Interleaved = true)
{
    /// <summary><see cref="OptimizedMilliseconds"/> / <see cref="OriginalMilliseconds"/>.</summary>
    public double Ratio => OriginalMilliseconds <= 0 ? 1 : OptimizedMilliseconds / OriginalMilliseconds;
}
