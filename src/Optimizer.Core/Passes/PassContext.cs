using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Passes;

/// <summary>What a pass may use besides the model: calibration samples, a sink for warnings, and notes for the report.</summary>
public sealed class PassContext(CalibrationSet calibration, IDiagnosticSink diagnostics)
{
    private readonly List<string> _notes = [];

    /// <summary>The samples to calibrate on (may be synthetic; see <see cref="CalibrationSet.IsSynthetic"/>).</summary>
    public CalibrationSet Calibration { get; } = calibration;

    /// <summary>
    /// Separate validation samples (<c>calibration.validation_data</c>), or null. Accuracy a pass works to (the INT8
    /// accuracy fallback's budget) is measured on <see cref="FidelitySamples"/>, so that it agrees with the report.
    /// </summary>
    public CalibrationSet? Validation { get; init; }

    /// <summary>The samples accuracy is measured on: <see cref="Validation"/> when given, else <see cref="Calibration"/>.</summary>
    public CalibrationSet FidelitySamples => Validation ?? Calibration;

    /// <summary><see cref="FidelitySamples"/> in words for report notes, e.g. <c>16 validation sample(s)</c>.</summary>
    public string FidelitySamplesDescription => $"{FidelitySamples.Samples.Count} {(Validation is null ? "calibration" : "validation")} sample(s)";

    /// <summary>Where warnings and detail messages go.</summary>
    public IDiagnosticSink Diagnostics { get; } = diagnostics;

    /// <summary>Facts a pass recorded for the report (e.g. "quantized 12 Conv, 1 Gemm; kept 2 nodes in float").</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Records a fact for the report.</summary>
    public void Note(string note) => _notes.Add(note);
}
