using System.Globalization;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using Optimizer.Core.Verification;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>A candidate model's worst-output cosine and top-1 disagreement (null: no output has a class axis) on the fidelity samples.</summary>
internal sealed record CandidateFidelity(double Cosine, double? Top1Disagreement)
{
    /// <summary>How far inside the budget the candidate is (negative: outside); the larger, the better.</summary>
    public double Margin(QuantizationBudget budget) => Math.Min(
        budget.MinCosine is { } minCosine ? Cosine - minCosine : double.PositiveInfinity,
        budget.MaxTop1Disagreement is { } maxDisagreement && Top1Disagreement is { } disagreement ? maxDisagreement - disagreement : double.PositiveInfinity);

    /// <summary>True when every limit of <paramref name="budget"/> that this model can be measured against holds.</summary>
    public bool Meets(QuantizationBudget budget) => Margin(budget) >= 0;

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"cosine {Cosine:0.0000}{(Top1Disagreement is { } d ? $", top-1 disagreement {d:0.##%}" : "")}");
}

/// <summary>
/// Compares candidate models with the float model on the samples the pipeline verifies on (the validation set when
/// one is configured, else the calibration set; see <see cref="PassContext.FidelitySamples"/>), using the same metrics
/// as the pipeline's verification (worst output's cosine, top-1 over the last axis), so the pass works to the budget
/// the build will check. The float model's outputs are computed once.
/// </summary>
internal sealed class CalibrationFidelity
{
    private readonly IReadOnlyList<CalibrationSample> _samples;
    private readonly IReadOnlyList<IReadOnlyList<TensorResult>> _reference;

    /// <summary>Runs <paramref name="floatModel"/> once over the samples to get the reference outputs.</summary>
    public CalibrationFidelity(ModelProto floatModel, CalibrationSet samples)
    {
        _samples = samples.Samples;
        _reference = FidelityVerifier.ReferenceOutputs(floatModel, _samples);
    }

    /// <summary>Runs <paramref name="candidate"/> over the samples and measures it against the float model.</summary>
    public CandidateFidelity Measure(ModelProto candidate)
    {
        var report = FidelityVerifier.Verify(_reference, candidate, _samples);
        var agreements = report.Outputs.Where(o => o.Top1Agreement is not null).Select(o => o.Top1Agreement!.Value).ToList();
        return new CandidateFidelity(report.Cosine, agreements.Count == 0 ? null : 1 - agreements.Min());
    }
}
