using System.Globalization;
using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Verification;

/// <summary>Fails a profile whose result breaks a budget, pointing at the budget's line in compression.yaml.</summary>
public static class BudgetCheck
{
    /// <summary>Throws OPT4001/OPT4002 with the measured value and the limit when a budget is broken.</summary>
    public static void Enforce(BudgetSettings budgets, string profile, FidelityReport fidelity, long optimizedBytes)
    {
        if (budgets.MinCosine is { } minCosine && fidelity.Cosine < minCosine)
        {
            throw Broken(ErrorCodes.BudgetFidelity, budgets.MinCosineAt,
                string.Create(CultureInfo.InvariantCulture,
                    $"Profile '{profile}': cosine similarity {fidelity.Cosine:0.0000} on {fidelity.Samples} samples is below the budget min_cosine {minCosine:0.####}."));
        }

        if (budgets.MaxSizeBytes is { } maxSize && optimizedBytes > maxSize)
        {
            throw Broken(ErrorCodes.BudgetSize, budgets.MaxSizeAt,
                $"Profile '{profile}': the optimized model is {ConfigValues.FormatSize(optimizedBytes)} ({optimizedBytes} bytes), over the budget max_size {ConfigValues.FormatSize(maxSize)}.");
        }
    }

    private static OptimizerException Broken(string code, SourceLocation? at, string message) =>
        new(code, message, at?.File, at?.Line ?? 0, at?.Column ?? 0);
}
