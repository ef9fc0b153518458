using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Passes;

/// <summary>What a pass may use besides the model: calibration samples, a sink for warnings, and notes for the report.</summary>
public sealed class PassContext(CalibrationSet calibration, IDiagnosticSink diagnostics)
{
    private readonly List<string> _notes = [];

    /// <summary>The samples to calibrate on (may be synthetic; see <see cref="CalibrationSet.IsSynthetic"/>).</summary>
    public CalibrationSet Calibration { get; } = calibration;

    /// <summary>Where warnings and detail messages go.</summary>
    public IDiagnosticSink Diagnostics { get; } = diagnostics;

    /// <summary>Facts a pass recorded for the report (e.g. "quantized 12 Conv, 1 Gemm; kept 2 nodes in float").</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Records a fact for the report.</summary>
    public void Note(string note) => _notes.Add(note);
}
