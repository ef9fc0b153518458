namespace Optimizer.Core.Verification;

/// <summary>How closely one output of the optimized model follows the original over all verification samples.</summary>
public sealed record OutputFidelity(string Output, double Cosine, double MaxAbsError, double? Top1Agreement);

/// <summary>Fidelity of the optimized model over every output; <see cref="Cosine"/> is the worst output's.</summary>
public sealed record FidelityReport(IReadOnlyList<OutputFidelity> Outputs, int Samples)
{
    /// <summary>The lowest cosine similarity of any output.</summary>
    public double Cosine => Outputs.Count == 0 ? 1 : Outputs.Min(o => o.Cosine);

    /// <summary>The largest absolute error of any output element.</summary>
    public double MaxAbsError => Outputs.Count == 0 ? 0 : Outputs.Max(o => o.MaxAbsError);
}
