using System.Diagnostics;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;

namespace Optimizer.Core.Verification;

/// <summary>
/// Median single-thread latency of several models on the same sample. Runs are interleaved (A, B, C, A, B, C, ...)
/// so that a noisy neighbour or CPU frequency change hits every model alike and the ratios stay meaningful.
/// One thread, because ORT's default thread count varies between machines and the ratio is what a budget checks.
/// </summary>
public static class LatencyMeter
{
    /// <summary>Fewest interleaved rounds a build measures, so one slow run cannot decide the median.</summary>
    public const int MinRounds = 5;

    /// <summary>Most interleaved rounds a build measures; beyond this the median no longer moves.</summary>
    public const int MaxRounds = 51;

    /// <summary>The median milliseconds per run of each model over exactly <paramref name="rounds"/> interleaved rounds.</summary>
    public static IReadOnlyList<double> MedianMilliseconds(IReadOnlyList<ModelProto> models, CalibrationSample sample, int rounds) =>
        Measure(models, sample, _ => rounds);

    /// <summary>
    /// Original vs optimized latency for a build report: as many rounds as fit in <paramref name="timeBudget"/>
    /// (judged from the warm-up runs), between <see cref="MinRounds"/> and <see cref="MaxRounds"/>.
    /// </summary>
    public static LatencyReport Compare(ModelProto original, ModelProto optimized, CalibrationSample sample, TimeSpan timeBudget)
    {
        var rounds = 0;
        var medians = Measure([original, optimized], sample, warmUpMilliseconds =>
        {
            var perRound = Math.Max(warmUpMilliseconds, 1e-3);
            rounds = (int)Math.Clamp(timeBudget.TotalMilliseconds / perRound, MinRounds, MaxRounds);
            return rounds;
        });
        return new LatencyReport(medians[0], medians[1], rounds, Threads: 1);
    }

    private static List<double> Measure(IReadOnlyList<ModelProto> models, CalibrationSample sample, Func<double, int> roundsAfterWarmUp)
    {
        var sessions = models.Select((m, i) => ModelSession.Create(m, $"latency model {i}", threads: 1)).ToList();
        try
        {
            // Warm-up: first runs allocate and pick kernels; their total time sizes the measurement.
            var warmUp = Stopwatch.StartNew();
            foreach (var session in sessions)
            {
                session.Run(sample);
            }

            var rounds = roundsAfterWarmUp(warmUp.Elapsed.TotalMilliseconds);
            var timings = sessions.Select(_ => new List<double>(rounds)).ToList();
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < sessions.Count; i++)
                {
                    var timer = Stopwatch.StartNew();
                    sessions[i].Run(sample);
                    timings[i].Add(timer.Elapsed.TotalMilliseconds);
                }
            }

            return timings.Select(Median).ToList();
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
