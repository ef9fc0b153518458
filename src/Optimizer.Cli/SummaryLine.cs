using System.Globalization;
using Optimizer.Core;
using Optimizer.Core.Config;

namespace Optimizer.Cli;

/// <summary>The one line per model and profile a build log shows at normal verbosity.</summary>
internal static class SummaryLine
{
    /// <summary>E.g. <c>net.onnx -> out/net.cpu-int8.onnx  (4.1 MB -> 1.1 MB, cosine 0.9993 on 32 samples, 2.3 s)</c>.</summary>
    public static string Format(ProfileOutcome outcome)
    {
        var report = outcome.Report;
        var samples = report.SyntheticCalibration ? $"{report.Fidelity.Samples} random samples" : $"{report.Fidelity.Samples} samples";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(report.Model)} -> {Relative(outcome.OutputPath)}  " +
            $"({ConfigValues.FormatSize(report.OriginalBytes)} -> {ConfigValues.FormatSize(report.OptimizedBytes)}, " +
            $"cosine {report.Fidelity.Cosine:0.0000} on {samples}, {report.Seconds:0.0} s)");
    }

    private static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
