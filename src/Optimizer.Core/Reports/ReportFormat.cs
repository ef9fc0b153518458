using System.Globalization;
using Optimizer.Core.Config;
using Optimizer.Core.Verification;

namespace Optimizer.Core.Reports;

/// <summary>How report numbers read in the Markdown and HTML renderings, so both say the same thing the same way.</summary>
internal static class ReportFormat
{
    /// <summary>E.g. <c>0.26x</c>.</summary>
    public static string Ratio(double ratio) => Invariant($"{ratio:0.00}x");

    /// <summary>E.g. <c>0.9996</c>.</summary>
    public static string Cosine(double cosine) => Invariant($"{cosine:0.0000}");

    /// <summary>E.g. <c>1.2e-03</c>; infinity when the optimized model produced non-finite values.</summary>
    public static string Error(double error) => double.IsFinite(error) ? Invariant($"{error:0.0e+00}") : "inf";

    /// <summary>E.g. <c>98.4%</c>, or a dash for an output without a class axis.</summary>
    public static string Percent(double? fraction) => fraction is { } value ? Invariant($"{value:0.0%}") : "–";

    /// <summary>E.g. <c>0.081 ms</c>.</summary>
    public static string Milliseconds(double milliseconds) => Invariant($"{milliseconds:0.###} ms");

    /// <summary>E.g. <c>1.2 s</c>.</summary>
    public static string Seconds(double seconds) => Invariant($"{seconds:0.0#} s");

    /// <summary>A budget's limit or measured value in its own unit (size, fraction, ratio).</summary>
    public static string BudgetValue(BudgetResult budget, double value) => budget.Budget switch
    {
        "max_size" => ConfigValues.FormatSize((long)value),
        "max_top1_disagreement" => Percent(value),
        "min_cosine" => Cosine(value),
        _ => Ratio(value),
    };

    /// <summary>Where the samples came from, in words.</summary>
    public static string Samples(CompressionReport report) =>
        report.ValidationSource is not null ? $"{report.Fidelity.Samples} validation samples from {report.ValidationSource}"
        : report.SyntheticCalibration ? $"{report.Fidelity.Samples} random samples (no calibration data: fidelity is rough)"
        : $"{report.Fidelity.Samples} samples from {report.CalibrationSource}";

    /// <summary>The latency row's caption: how it was measured.</summary>
    public static string LatencyMethod(LatencyReport latency) =>
        $"ONNX Runtime CPU, {latency.Threads} thread, median of {latency.Rounds} {(latency.Interleaved ? "interleaved runs" : "runs per model, one model after the other (large model)")} on the build machine";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
