namespace Optimizer.TestModels.Fuzzing;

/// <summary>A fuzz case that ended in something other than a coded error: a crash (exception type) or a hang.</summary>
/// <param name="Kind">"bytes", "structure" or "yaml".</param>
/// <param name="Seed">The case's seed; <see cref="Fuzzer"/> replays it exactly.</param>
/// <param name="Problem">The exception type and message, or "hang".</param>
/// <param name="Input">Where the failing input was kept (a folder or file), for reproduction.</param>
public sealed record FuzzFinding(string Kind, int Seed, string Problem, string Input);
