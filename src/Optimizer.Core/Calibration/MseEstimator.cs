namespace Optimizer.Core.Calibration;

/// <summary>
/// Chooses the range that minimises the expected squared quantization error over the calibration values: shrinking
/// the observed [min, max] makes rounding finer (the distance to the nearest step for each value inside) but clips the values outside
/// (error = distance to the limit squared). Both sides shrink together, so the zero point stays where the data puts
/// it. Streams values into a constant-size <see cref="MagnitudeHistogram"/>; the error is evaluated at bin centres.
/// </summary>
public sealed class MseEstimator : HistogramEstimator
{
    /// <summary>Range scales tried, from the full range down to 1/Candidates of it.</summary>
    private const int Candidates = 200;

    /// <summary>The steps of an 8-bit grid (uint8 and int8 alike).</summary>
    private const int Steps = 255;

    /// <inheritdoc/>
    protected override TensorRange Choose(MagnitudeHistogram histogram)
    {
        var low = MathF.Min(histogram.Min, 0f);
        var high = MathF.Max(histogram.Max, 0f);
        var best = 1.0;
        var bestError = double.PositiveInfinity;
        for (var c = Candidates; c >= 1; c--)
        {
            var fraction = c / (double)Candidates;
            var error = ExpectedError(histogram, -low * fraction, high * fraction);
            if (error < bestError)
            {
                (bestError, best) = (error, fraction);
            }
        }

        return new TensorRange((float)(low * best), (float)(high * best));
    }

    /// <summary>Squared error summed over both sides for the range [-<paramref name="negativeLimit"/>, <paramref name="positiveLimit"/>].</summary>
    private static double ExpectedError(MagnitudeHistogram histogram, double negativeLimit, double positiveLimit)
    {
        var step = (negativeLimit + positiveLimit) / Steps;
        return SideError(histogram.Positive, histogram.BinWidth, positiveLimit, step)
            + SideError(histogram.Negative, histogram.BinWidth, negativeLimit, step);
    }

    private static double SideError(long[] histogram, double binWidth, double limit, double step)
    {
        // Zero is on the grid (integer zero point), so a value's rounding error is its distance to the nearest
        // multiple of the step. Where bins are too coarse to resolve the step, the uniform-noise average step²/12 is
        // the better estimate.
        var resolved = binWidth * 4 <= step;
        double error = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            if (histogram[i] > 0)
            {
                var magnitude = (i + 0.5) * binWidth;
                var clipped = magnitude - limit;
                var rounding = resolved ? magnitude - step * Math.Round(magnitude / step) : 0;
                error += histogram[i] * (clipped > 0 ? clipped * clipped : resolved ? rounding * rounding : step * step / 12);
            }
        }

        return error;
    }
}
