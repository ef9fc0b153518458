namespace Optimizer.Core.Verification;

/// <summary>
/// One model's median single-thread latency, timed alone (<see cref="LatencyMeter.Alone"/>): a large original is timed
/// once and compared with every profile's output, so it need not stay in memory while they are built.
/// </summary>
/// <param name="Milliseconds">The median milliseconds per run.</param>
/// <param name="Rounds">How many timed runs the median is taken over.</param>
public sealed record LatencyTiming(double Milliseconds, int Rounds);
