using System.Runtime.CompilerServices;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Entropy (KL-divergence) calibration, as in TensorRT and ONNX Runtime's tool: for each side of zero, the clipping
/// threshold whose quantized histogram loses the least information (smallest KL(P‖Q) between the clipped histogram P
/// and its quantization Q into that side's share of the 256 levels). Long thin tails are cut, dense regions keep
/// their resolution. Streams values into a constant-size <see cref="MagnitudeHistogram"/>.
/// </summary>
public sealed class EntropyEstimator : HistogramEstimator
{
    /// <summary>Thresholds tried per side; more only refines a choice already within 1/256 of the range.</summary>
    private const int MaxCandidates = 256;

    /// <summary>Stands in for an empty quantized bin where the reference has mass, so the divergence stays finite.</summary>
    private const double Epsilon = 1e-10;

    /// <inheritdoc/>
    protected override TensorRange Choose(MagnitudeHistogram histogram)
    {
        // Each side gets the share of the 255 steps that its span takes of the observed range.
        var span = MathF.Max(histogram.Max, 0f) - MathF.Min(histogram.Min, 0f);
        var positiveLevels = span > 0 ? (int)MathF.Round(255 * MathF.Max(histogram.Max, 0f) / span) : 0;
        return new TensorRange(
            -Threshold(histogram.Negative, 255 - positiveLevels, histogram.BinWidth),
            Threshold(histogram.Positive, positiveLevels, histogram.BinWidth));
    }

    private static float Threshold(long[] histogram, int levels, float binWidth)
    {
        // A side holding a sliver of the range still gets one level, so its divergence is defined.
        levels = Math.Max(levels, 1);
        var used = Array.FindLastIndex(histogram, c => c > 0) + 1;
        if (used > 1)
        {
            // Relu and padding put a spike of exact zeros in the first bin; left in, it dominates the divergence and
            // drives the threshold far into the bulk (the same correction NVIDIA's pytorch-quantization makes).
            histogram = (long[])histogram.Clone();
            histogram[0] = histogram[1];
        }

        if (used <= levels || IsSaturated(histogram, used))
        {
            // No more bins than levels: every value is representable at full resolution.
            return used * binWidth;
        }

        var sums = new RunningSums(histogram, used);
        var step = Math.Max(1, (used - levels) / MaxCandidates);
        var best = used;
        var bestDivergence = double.PositiveInfinity;
        for (var bins = levels; bins <= used; bins += step)
        {
            var divergence = sums.Divergence(bins, levels);
            if (divergence < bestDivergence)
            {
                (bestDivergence, best) = (divergence, bins);
            }
        }

        return best * binWidth;
    }

    /// <summary>
    /// Whether the last used bin is a pile-up far denser than the bins before it: a saturating activation (Relu6, Clip,
    /// a bounded Sigmoid region) puts every value beyond its bound there. KL divergence compares the shapes of the
    /// clipped and quantized histograms, not how far values move, so it readily cuts into such a pile, clipping a large
    /// share of the values (measured: 8% output error on a MobileNetV2 projection layer whose Relu6 input was cut);
    /// the bound is kept instead. A tail thinning out towards the maximum is never mistaken for one.
    /// </summary>
    private static bool IsSaturated(long[] histogram, int used)
    {
        const int Window = 16;
        var last = histogram[used - 1];
        var before = histogram.AsSpan(Math.Max(0, used - 1 - Window), Math.Min(Window, used - 1));
        long total = 0;
        foreach (var count in histogram.AsSpan(0, used))
        {
            total += count;
        }

        long neighbours = 0;
        foreach (var count in before)
        {
            neighbours += count;
        }

        // Denser than all its neighbours together, and a share of the values no clipping should discard (0.1%).
        return last > neighbours && last * 1000 >= total;
    }

    /// <summary>
    /// Running sums over a histogram's used bins (counts, non-empty bins, and count · ln count), from which the KL
    /// divergence of any clipping point takes one step per quantization level instead of three passes over its bins
    /// (measured: the threshold search was the costliest phase of entropy calibration on MobileNetV3, 0.25 s).
    /// </summary>
    internal sealed class RunningSums
    {
        private readonly long[] _histogram;
        private readonly long[] _counts;
        private readonly int[] _nonEmpty;
        private readonly double[] _countLogCounts;

        /// <summary>Prepares the sums over the first <paramref name="used"/> bins of <paramref name="histogram"/>.</summary>
        public RunningSums(long[] histogram, int used)
        {
            (_histogram, _counts, _nonEmpty, _countLogCounts) = (histogram, new long[used + 1], new int[used + 1], new double[used + 1]);
            for (var i = 0; i < used; i++)
            {
                var count = histogram[i];
                _counts[i + 1] = _counts[i] + count;
                _nonEmpty[i + 1] = _nonEmpty[i] + (count > 0 ? 1 : 0);
                _countLogCounts[i + 1] = _countLogCounts[i] + (count > 0 ? count * Math.Log(count) : 0);
            }
        }

        /// <summary>
        /// KL(P‖Q) for clipping after <paramref name="bins"/> bins: P is the histogram with the tail folded into its last
        /// bin, Q spreads each of the <paramref name="levels"/> levels' count evenly over that level's non-empty bins.
        /// For the bins of a level with count C over n non-empty bins, Σ p ln(p/q) with p = h/T and q = (C/n)/S is
        /// (Σ h ln h − C (ln T − ln S + ln(C/n))) / T; the last bin, which also holds the tail, is then set right.
        /// </summary>
        // Compiled optimised at once: a pass calls it a few thousand times, too few for tiered JIT to promote it early.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Divergence(int bins, int levels)
        {
            var (total, kept) = ((double)_counts[^1], (double)_counts[bins]);
            if (kept == 0)
            {
                return double.PositiveInfinity;
            }

            // Summed over the levels the divergence is (Σ h ln h − S (ln T − ln S) − Σ C ln C + Σ C ln n) / T, since the
            // levels' counts add up to S. Level boundaries (level · bins / levels) advance by quotient and remainder,
            // without a division per level: the search evaluates about 65 000 levels per tensor side.
            var (stride, extra) = (bins / levels, bins % levels);
            var (start, remainder) = (0, 0);
            double sum = 0;
            var lastLevelShare = 0.0;
            for (var level = 0; level < levels; level++)
            {
                var end = start + stride;
                remainder += extra;
                if (remainder >= levels)
                {
                    (end, remainder) = (end + 1, remainder - levels);
                }

                var count = _counts[end] - _counts[start];
                if (count > 0)
                {
                    var nonEmpty = _nonEmpty[end] - _nonEmpty[start];
                    sum += count * Math.Log((double)count / nonEmpty);
                    if (end == bins)
                    {
                        lastLevelShare = (double)count / nonEmpty / kept;
                    }
                }

                start = end;
            }

            var divergence = (_countLogCounts[bins] - (kept * (Math.Log(total) - Math.Log(kept))) - sum) / total;

            var last = _histogram[bins - 1];
            var tail = total - kept;
            if (tail == 0)
            {
                return divergence;
            }

            // The last bin's p grows by the tail; its q stays its level's share (the smallest positive one if it was empty).
            var q = last > 0 ? lastLevelShare : Epsilon;
            if (last > 0)
            {
                divergence -= last / total * Math.Log(last / total / q);
            }

            var p = (last + tail) / total;
            return divergence + (p * Math.Log(p / q));
        }
    }
}
