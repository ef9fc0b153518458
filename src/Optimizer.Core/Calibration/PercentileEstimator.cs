namespace Optimizer.Core.Calibration;

/// <summary>
/// Clips each side of a tensor's range at a percentile of the observed magnitudes, so that a handful of outliers do
/// not cost every other value its resolution. Streams values into fixed-size histograms (positive and negative
/// magnitudes, 2048 bins each) that merge bins pairwise when a larger value arrives, so memory stays constant.
/// </summary>
public sealed class PercentileEstimator : IRangeEstimator
{
    private const int Bins = 2048;
    private readonly double _fraction;
    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);

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
    public void Observe(string tensor, ReadOnlySpan<float> values)
    {
        var (min, max) = MinMaxEstimator.FiniteMinMax(values);
        if (float.IsNaN(min))
        {
            _states.TryAdd(tensor, new State());
            return;
        }

        if (!_states.TryGetValue(tensor, out var state))
        {
            _states[tensor] = state = new State();
        }

        state.Min = MathF.Min(state.Min, min);
        state.Max = MathF.Max(state.Max, max);
        state.Grow(MathF.Max(MathF.Abs(min), MathF.Abs(max)));
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                var histogram = v >= 0 ? state.Positive : state.Negative;
                histogram[Math.Min((int)(MathF.Abs(v) / state.Edge * Bins), Bins - 1)]++;
            }
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, TensorRange> Ranges() => _states.ToDictionary(
        p => p.Key,
        p => p.Value.Min > p.Value.Max
            ? new TensorRange(0f, 0f)
            : new TensorRange(MathF.Max(p.Value.Min, -Threshold(p.Value.Negative, p.Value.Edge)), MathF.Min(p.Value.Max, Threshold(p.Value.Positive, p.Value.Edge))),
        StringComparer.Ordinal);

    /// <summary>The upper edge of the bin where the cumulative count first reaches the requested fraction.</summary>
    private float Threshold(long[] histogram, float edge)
    {
        long total = 0;
        foreach (var count in histogram)
        {
            total += count;
        }

        var needed = (long)Math.Ceiling(total * _fraction);
        long cumulative = 0;
        for (var i = 0; i < Bins; i++)
        {
            cumulative += histogram[i];
            if (cumulative >= needed)
            {
                return (i + 1) * edge / Bins;
            }
        }

        return edge;
    }

    private sealed class State
    {
        public float Min { get; set; } = float.PositiveInfinity;

        public float Max { get; set; } = float.NegativeInfinity;

        /// <summary>The magnitude the last bin ends at; doubles (merging bin pairs) when a larger value arrives.</summary>
        public float Edge { get; private set; }

        public long[] Positive { get; } = new long[Bins];

        public long[] Negative { get; } = new long[Bins];

        public void Grow(float magnitude)
        {
            if (Edge == 0)
            {
                Edge = magnitude > 0 ? magnitude : float.Epsilon;
                return;
            }

            while (magnitude > Edge && float.IsFinite(Edge * 2))
            {
                Merge(Positive);
                Merge(Negative);
                Edge *= 2;
            }
        }

        private static void Merge(long[] histogram)
        {
            for (var i = 0; i < Bins / 2; i++)
            {
                histogram[i] = histogram[2 * i] + histogram[2 * i + 1];
            }

            Array.Clear(histogram, Bins / 2, Bins / 2);
        }
    }
}
