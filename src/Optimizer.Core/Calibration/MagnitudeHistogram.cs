namespace Optimizer.Core.Calibration;

/// <summary>
/// A bounded, streaming summary of one tensor's calibration values: the finite min and max, and two histograms of
/// magnitudes (positive and negative values), <see cref="Bins"/> equal bins each from 0 to <see cref="Edge"/>. When a
/// larger value arrives the edge doubles and bins merge pairwise, so memory is constant however many samples stream
/// in; edges are powers of two, so the result is the same in whatever order the samples arrive.
/// </summary>
public sealed class MagnitudeHistogram
{
    /// <summary>Bins per side; 2048 resolves a range to 1/2048 of its magnitude, finer than the 256 levels of int8.</summary>
    public const int Bins = 2048;

    /// <summary>The smallest finite value seen (+∞ before any).</summary>
    public float Min { get; private set; } = float.PositiveInfinity;

    /// <summary>The largest finite value seen (-∞ before any).</summary>
    public float Max { get; private set; } = float.NegativeInfinity;

    /// <summary>The magnitude the last bin ends at; doubles (merging bin pairs) when a larger value arrives.</summary>
    public float Edge { get; private set; }

    /// <summary>Counts of values ≥ 0 by magnitude.</summary>
    public long[] Positive { get; } = new long[Bins];

    /// <summary>Counts of values &lt; 0 by magnitude.</summary>
    public long[] Negative { get; } = new long[Bins];

    /// <summary>True when no finite value has been seen.</summary>
    public bool IsEmpty => Min > Max;

    /// <summary>The width of one bin.</summary>
    public float BinWidth => Edge / Bins;

    /// <summary>Adds the finite values of <paramref name="values"/>; NaN and infinities are ignored.</summary>
    public void Observe(ReadOnlySpan<float> values)
    {
        var (min, max) = MinMaxEstimator.FiniteMinMax(values);
        if (float.IsNaN(min))
        {
            return;
        }

        Min = MathF.Min(Min, min);
        Max = MathF.Max(Max, max);
        Grow(MathF.Max(MathF.Abs(min), MathF.Abs(max)));
        var perUnit = Bins / Edge;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                var histogram = v >= 0 ? Positive : Negative;
                histogram[Math.Min((int)(MathF.Abs(v) * perUnit), Bins - 1)]++;
            }
        }
    }

    private void Grow(float magnitude)
    {
        if (Edge == 0)
        {
            // Edges are powers of two, so two histograms always reach the same edges and merge exactly: the result
            // does not depend on the order samples arrive in.
            Edge = magnitude > 0 && float.IsNormal(magnitude) ? MathF.Pow(2f, MathF.Ceiling(MathF.Log2(magnitude))) : float.Epsilon;
            if (!float.IsFinite(Edge))
            {
                Edge = float.MaxValue;
            }
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
