using System.Numerics;
using System.Runtime.CompilerServices;

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
    public const int Bins = 1 << BinBits;

    /// <summary>log2 of <see cref="Bins"/>.</summary>
    private const int BinBits = 11;

    /// <summary>Bins of both sides: a negative value's count sits <see cref="Bins"/> after a positive one's.</summary>
    private const int Sides = 2 * Bins;

    /// <summary>Values binned per SIMD step; small enough for three stack buffers, large enough to amortise each call.</summary>
    private const int ChunkLength = 1024;

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
        var (min, max) = MinMaxEstimator.FiniteMinMax(values, out var allFinite);
        if (float.IsNaN(min))
        {
            return;
        }

        Min = MathF.Min(Min, min);
        Max = MathF.Max(Max, max);
        Grow(MathF.Max(MathF.Abs(min), MathF.Abs(max)));
        var perUnit = Bins / Edge;
        // Bin positions are computed with SIMD a chunk at a time, negative values offset by Bins into one combined count
        // array, so the only scalar work left is one increment per value without a data-dependent branch.
        var counts = new int[4 * Sides];
        Span<int> bins = stackalloc int[ChunkLength];
        for (var start = 0; start < values.Length; start += ChunkLength)
        {
            var chunk = values.Slice(start, Math.Min(ChunkLength, values.Length - start));
            BinIndices(chunk, perUnit, bins);
            if (allFinite)
            {
                CountFourWay(bins[..chunk.Length], counts);
                continue;
            }

            for (var i = 0; i < chunk.Length; i++)
            {
                if (float.IsFinite(chunk[i]))
                {
                    counts[bins[i]]++;
                }
            }
        }

        for (var b = 0; b < Bins; b++)
        {
            Positive[b] += counts[b] + counts[Sides + b] + counts[(2 * Sides) + b] + counts[(3 * Sides) + b];
            Negative[b] += counts[Bins + b] + counts[Sides + Bins + b] + counts[(2 * Sides) + Bins + b] + counts[(3 * Sides) + Bins + b];
        }
    }

    /// <summary>
    /// Each value's bin, min(|v| · perUnit, Bins - 1) (exact: perUnit is a power of two), plus <see cref="Bins"/> when
    /// the value is negative: its sign bit after adding +0, which turns -0 into +0 so that it counts as positive like
    /// v &gt;= 0. NaN gets an arbitrary index, which callers skip. Written with <see cref="Vector{T}"/> rather than a
    /// chain of TensorPrimitives calls, whose float-to-int conversion measured 20 times slower than one pass here;
    /// compiled optimized from the first call, since the tool is a fresh process each build and unoptimized vector
    /// code (tier 0) made a cold calibration slower than the scalar loop it replaces.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BinIndices(ReadOnlySpan<float> values, float perUnit, Span<int> bins)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var scale = new Vector<float>(perUnit);
            var last = new Vector<float>(Bins - 1);
            for (; i + Vector<float>.Count <= values.Length; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values[i..]);
                var bin = Vector.ConvertToInt32(Vector.Min(Vector.Abs(v) * scale, last));
                var side = Vector.ShiftLeft(Vector.ShiftRightLogical(Vector.AsVectorInt32(v + Vector<float>.Zero), 31), BinBits);
                (bin + side).CopyTo(bins[i..]);
            }
        }

        for (; i < values.Length; i++)
        {
            var v = values[i];
            bins[i] = float.IsFinite(v) ? Math.Min((int)(MathF.Abs(v) * perUnit), Bins - 1) + (v >= 0 ? 0 : Bins) : 0;
        }
    }

    /// <summary>
    /// Counts into four interleaved copies of the bins: consecutive values in one bin (the zeros of a Relu output, half
    /// of it or more) would otherwise make each increment wait for the previous one (measured 2-3x slower counting).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CountFourWay(ReadOnlySpan<int> bins, int[] counts)
    {
        var i = 0;
        for (; i + 4 <= bins.Length; i += 4)
        {
            counts[bins[i]]++;
            counts[Sides + bins[i + 1]]++;
            counts[(2 * Sides) + bins[i + 2]]++;
            counts[(3 * Sides) + bins[i + 3]]++;
        }

        for (; i < bins.Length; i++)
        {
            counts[bins[i]]++;
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
