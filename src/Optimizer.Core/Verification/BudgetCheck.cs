using System.Globalization;
using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Verification;

/// <summary>Checks a profile's result against its budgets, pointing each broken one at its line in compression.yaml.</summary>
public static class BudgetCheck
{
    /// <summary>Every configured budget, measured: cosine, size, top-1 disagreement and latency ratio.</summary>
    /// <exception cref="OptimizerException">OPT4005 when a budget is set that this model's outputs cannot measure.</exception>
    public static IReadOnlyList<BudgetResult> Evaluate(BudgetSettings budgets, string profile, FidelityReport fidelity, long optimizedBytes, LatencyReport? latency)
    {
        var results = new List<BudgetResult>();
        if (budgets.MinCosine is { } minCosine)
        {
            var passed = fidelity.Cosine >= minCosine;
            results.Add(new("min_cosine", ErrorCodes.BudgetFidelity, minCosine, fidelity.Cosine, passed, Invariant(
                $"Profile '{profile}': cosine similarity {fidelity.Cosine:0.0000} on {fidelity.Samples} samples is {(passed ? "within" : "below")} the budget min_cosine {minCosine:0.####}."),
                budgets.MinCosineAt));
        }

        if (budgets.MaxSizeBytes is { } maxSize)
        {
            var passed = optimizedBytes <= maxSize;
            results.Add(new("max_size", ErrorCodes.BudgetSize, maxSize, optimizedBytes, passed,
                $"Profile '{profile}': the optimized model is {ConfigValues.FormatSize(optimizedBytes)} ({optimizedBytes} bytes), {(passed ? "within" : "over")} the budget max_size {ConfigValues.FormatSize(maxSize)}.",
                budgets.MaxSizeAt));
        }

        if (budgets.MaxTop1Disagreement is { } maxDisagreement)
        {
            var disagreement = Top1Disagreement(fidelity, profile, budgets.MaxTop1DisagreementAt);
            var passed = disagreement <= maxDisagreement;
            results.Add(new("max_top1_disagreement", ErrorCodes.BudgetTop1Disagreement, maxDisagreement, disagreement, passed, Invariant(
                $"Profile '{profile}': the top-1 class differs from the original's on {disagreement:0.##%} of {fidelity.Samples} samples, {(passed ? "within" : "over")} the budget max_top1_disagreement {maxDisagreement:0.##%}."),
                budgets.MaxTop1DisagreementAt));
        }

        if (budgets.MaxLatencyRatio is { } maxRatio)
        {
            if (latency is null)
            {
                throw Unmeasurable(profile, "max_latency_ratio", "no verification sample was available to time the models on", budgets.MaxLatencyRatioAt);
            }

            var passed = latency.Ratio <= maxRatio;
            results.Add(new("max_latency_ratio", ErrorCodes.BudgetLatency, maxRatio, latency.Ratio, passed, Invariant(
                $"Profile '{profile}': the optimized model runs in {latency.OptimizedMilliseconds:0.###} ms vs {latency.OriginalMilliseconds:0.###} ms for the original ({latency.Ratio:0.00}x, median of {latency.Rounds} single-thread runs on this machine), {(passed ? "within" : "over")} the budget max_latency_ratio {maxRatio:0.##}."),
                budgets.MaxLatencyRatioAt));
        }

        return results;
    }

    /// <summary>
    /// Fails on the first broken budget (its message names the other broken ones, so one build shows them all), or, with
    /// <paramref name="asWarnings"/> (exploratory builds), reports each broken budget as a warning and lets the model through.
    /// </summary>
    public static void Enforce(IReadOnlyList<BudgetResult> results, bool asWarnings, IDiagnosticSink diagnostics)
    {
        var broken = results.Where(r => !r.Passed).ToList();
        if (broken.Count == 0)
        {
            return;
        }

        if (asWarnings)
        {
            foreach (var result in broken)
            {
                diagnostics.Warn(new Diagnostic(DiagnosticSeverity.Warning, result.Code, result.Message, result.At?.File, result.At?.Line ?? 0, result.At?.Column ?? 0));
            }

            return;
        }

        var first = broken[0];
        var others = broken.Count == 1 ? "" : $" ({broken.Count - 1} more budget(s) broken: {string.Join(", ", broken.Skip(1).Select(b => b.Budget))}.)";
        throw new OptimizerException(first.Code, first.Message + others, first.At?.File, first.At?.Line ?? 0, first.At?.Column ?? 0);
    }

    private static double Top1Disagreement(FidelityReport fidelity, string profile, SourceLocation? at)
    {
        var agreements = fidelity.Outputs.Where(o => o.Top1Agreement is not null).Select(o => o.Top1Agreement!.Value).ToList();
        if (agreements.Count == 0)
        {
            throw Unmeasurable(profile, "max_top1_disagreement",
                $"none of the model's outputs ({string.Join(", ", fidelity.Outputs.Select(o => o.Output))}) has a class axis (a last dimension over 1)", at);
        }

        return 1 - agreements.Min();
    }

    private static OptimizerException Unmeasurable(string profile, string budget, string reason, SourceLocation? at) =>
        new(ErrorCodes.BudgetUnmeasurable, $"Profile '{profile}': the budget {budget} cannot be checked because {reason}. Remove it for this model.",
            at?.File, at?.Line ?? 0, at?.Column ?? 0);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
