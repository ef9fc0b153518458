namespace Optimizer.TestModels.Fuzzing;

/// <summary>What a fuzz run did: cases per kind, how they ended (success or diagnostic code) and the findings.</summary>
public sealed record FuzzSummary(IReadOnlyDictionary<string, int> Cases, IReadOnlyDictionary<string, int> Outcomes, IReadOnlyList<FuzzFinding> Findings)
{
    /// <summary>One line per kind and outcome, e.g. <c>structure: 40 cases; OPT2030 x12, ok x5, ...</c>.</summary>
    public override string ToString() =>
        string.Join('\n', Cases.Select(c => $"{c.Key}: {c.Value} cases")) + "\n" +
        string.Join(", ", Outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} x{o.Value}")) + "\n" +
        string.Join('\n', Findings.Select(f => $"FINDING {f.Kind} seed {f.Seed}: {f.Problem} ({f.Input})"));
}
