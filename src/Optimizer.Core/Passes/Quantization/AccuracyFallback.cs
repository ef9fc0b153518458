namespace Optimizer.Core.Passes.Quantization;

/// <summary>The outcome of the accuracy fallback: the model chosen, its fidelity, and the nodes returned to float (most harmful first).</summary>
internal sealed record FallbackResult(QdqBuild Build, CandidateFidelity Fidelity, CandidateFidelity FullyQuantized, IReadOnlyList<LayerError> Returned, bool MeetsBudget, int Evaluations);

/// <summary>
/// Accuracy-aware fallback: when the fully quantized model misses the budget on the samples
/// <see cref="CalibrationFidelity"/> measures on (the validation set when one is configured, else the calibration
/// set), nodes are returned to float most harmful first (harm = the node's own relative output error, from
/// <see cref="LayerErrorProbe"/>). The search doubles the number returned (1, 2, 4, ...) until the budget holds, then
/// bisects down to the fewest that still meet it, so it costs O(log n) model evaluations; it never returns more than
/// the cap (that share of the quantized nodes, rounded up; 0 only measures), and when even the cap misses the budget
/// it keeps the best candidate seen, whose figure the pipeline's budget check then reports.
/// </summary>
internal static class AccuracyFallback
{
    /// <summary>Searches for the smallest set of most harmful nodes whose return to float meets <paramref name="budget"/>.</summary>
    public static FallbackResult Run(QdqBuild fullyQuantized, IReadOnlyList<LayerError> errors, Func<IReadOnlySet<string>, QdqBuild> rebuild,
        CalibrationFidelity fidelity, QuantizationBudget budget, double maxFraction)
    {
        var initial = fidelity.Measure(fullyQuantized.Model);
        if (initial.Meets(budget))
        {
            return new FallbackResult(fullyQuantized, initial, initial, [], true, 1);
        }

        var ranking = errors.OrderByDescending(e => e.RelativeError).ThenBy(e => e.Node, StringComparer.Ordinal).ToList();
        var cap = Math.Clamp((int)Math.Ceiling(maxFraction * ranking.Count), 0, ranking.Count);
        var evaluated = new Dictionary<int, (QdqBuild Build, CandidateFidelity Fidelity)> { [0] = (fullyQuantized, initial) };

        (QdqBuild Build, CandidateFidelity Fidelity) Evaluate(int count)
        {
            if (!evaluated.TryGetValue(count, out var result))
            {
                var build = rebuild(ranking.Take(count).Select(e => e.Node).ToHashSet(StringComparer.Ordinal));
                evaluated[count] = result = (build, fidelity.Measure(build.Model));
            }

            return result;
        }

        int? passing = null;
        var failing = 0;
        for (var count = 1; count <= cap; count = count == cap ? cap + 1 : Math.Min(count * 2, cap))
        {
            if (Evaluate(count).Fidelity.Meets(budget))
            {
                passing = count;
                break;
            }

            failing = count;
        }

        if (passing is { } high)
        {
            // Between the last count that failed and the first that passed, find the fewest nodes that pass.
            var low = failing + 1;
            while (low < high)
            {
                var middle = (low + high) / 2;
                if (Evaluate(middle).Fidelity.Meets(budget))
                {
                    high = middle;
                }
                else
                {
                    low = middle + 1;
                }
            }

            var chosen = Evaluate(high);
            return new FallbackResult(chosen.Build, chosen.Fidelity, initial, ranking.Take(high).ToList(), true, evaluated.Count);
        }

        var best = evaluated.OrderByDescending(e => e.Value.Fidelity.Margin(budget)).ThenBy(e => e.Key).First();
        return new FallbackResult(best.Value.Build, best.Value.Fidelity, initial, ranking.Take(best.Key).ToList(), false, evaluated.Count);
    }
}
