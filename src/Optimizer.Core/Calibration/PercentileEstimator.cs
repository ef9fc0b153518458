namespace Optimizer.Core.Calibration;

/// <summary>
/// Clips each side of a tensor's range at a percentile of the observed magnitudes, so that a handful of outliers do
/// not cost every other value its resolution. Streams values into a constant-size <see cref="MagnitudeHistogram"/>.
/// </summary>
public sealed class PercentileEstimator : HistogramEstimator
{
    private readonly double _fraction;

    /// <summary>Creates an estimator covering <paramref name="percentile"/> percent of each side's values (e.g. 99.999).</summary>
    public PercentileEstimator(double percentile)
    {
        if (!(percentile > 0 && percentile <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "The percentile must be in (0, 100].");
        }

        _fraction = percentile / 100.0;
    }

    /// <inheritdoc/>
    protected override TensorRange Choose(MagnitudeHistogram histogram) =>
        new(-Threshold(histogram.Negative, histogram.Edge), Threshold(histogram.Positive, histogram.Edge));

    /// <summary>The upper edge of the bin where the cumulative count first reaches the requested fraction.</summary>
    private float Threshold(long[] histogram, float edge)
    {
        var needed = (long)Math.Ceiling(Total(histogram) * _fraction);
        long cumulative = 0;
        for (var i = 0; i < MagnitudeHistogram.Bins; i++)
        {
            cumulative += histogram[i];
            if (cumulative >= needed)
            {
                return (i + 1) * edge / MagnitudeHistogram.Bins;
            }
        }

        return edge;
    }
}
