using System.Diagnostics;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;

namespace Optimizer.Core.Verification;

/// <summary>
/// Median single-thread latency of several models on the same sample. Runs are interleaved (A, B, C, A, B, C, ...)
/// so that a noisy neighbour or CPU frequency change hits every model alike and the ratios stay meaningful; large
/// models (see <see cref="Interleaves"/>) are timed one after the other instead (<see cref="Alone"/>), because two of
/// their sessions at once would hold every weight twice more. One thread, because ORT's default thread
/// count varies between machines and the ratio is what a budget checks.
/// </summary>
public static class LatencyMeter
{
    /// <summary>Fewest interleaved rounds a build measures, so one slow run cannot decide the median.</summary>
    public const int MinRounds = 5;

    /// <summary>Most interleaved rounds a build measures; beyond this the median no longer moves.</summary>
    public const int MaxRounds = 51;

    /// <summary>
    /// True when <paramref name="model"/> is small enough to be timed interleaved with another model: below the size
    /// from which sessions load from a file (<see cref="ModelSession.FileAbove"/>, or
    /// <see cref="ModelFile.ExternalDataAboveVariable"/> where lower). There a second session costs little memory, and
    /// the short runs of small models are the ones interleaving protects from noise; larger models run for milliseconds
    /// each and are timed one after the other (<see cref="Alone"/>).
    /// </summary>
    public static bool Interleaves(ModelProto model) => ExternalData.RawBytes(model) < Math.Min(ModelSession.FileAbove, ModelFile.ExternalDataAbove);

    /// <summary>The median milliseconds per run of each model over exactly <paramref name="rounds"/> interleaved rounds.</summary>
    public static IReadOnlyList<double> MedianMilliseconds(IReadOnlyList<ModelProto> models, CalibrationSample sample, int rounds) =>
        Measure(models, sample, _ => rounds).Medians;

    /// <summary>
    /// Original vs optimized latency for a build report: as many rounds as fit in <paramref name="timeBudget"/>
    /// (judged from the warm-up runs), between <see cref="MinRounds"/> and <see cref="MaxRounds"/>. Interleaved when the
    /// original <see cref="Interleaves"/>, otherwise each model alone, one after the other.
    /// </summary>
    public static LatencyReport Compare(ModelProto original, ModelProto optimized, CalibrationSample sample, TimeSpan timeBudget)
    {
        if (!Interleaves(original))
        {
            return Compare(Alone(original, sample, timeBudget / 2), optimized, sample, timeBudget / 2);
        }

        var (medians, rounds) = Measure([original, optimized], sample, warmUpMilliseconds => RoundsFor(timeBudget, warmUpMilliseconds));
        return new LatencyReport(medians[0], medians[1], rounds, Threads: 1);
    }

    /// <summary>
    /// Times <paramref name="optimized"/> alone against an <paramref name="original"/> timed earlier (<see cref="Alone"/>):
    /// for large models, whose original is timed once for all profiles and need not stay in memory meanwhile.
    /// </summary>
    public static LatencyReport Compare(LatencyTiming original, ModelProto optimized, CalibrationSample sample, TimeSpan timeBudget)
    {
        var timing = Alone(optimized, sample, timeBudget);
        return new LatencyReport(original.Milliseconds, timing.Milliseconds, Math.Min(original.Rounds, timing.Rounds), Threads: 1, Interleaved: false);
    }

    /// <summary>The median of as many single-thread runs of <paramref name="model"/> alone as fit in <paramref name="timeBudget"/>.</summary>
    public static LatencyTiming Alone(ModelProto model, CalibrationSample sample, TimeSpan timeBudget)
    {
        var (medians, rounds) = Measure([model], sample, warmUpMilliseconds => RoundsFor(timeBudget, warmUpMilliseconds));
        return new LatencyTiming(medians[0], rounds);
    }

    private static int RoundsFor(TimeSpan timeBudget, double warmUpMilliseconds) =>
        (int)Math.Clamp(timeBudget.TotalMilliseconds / Math.Max(warmUpMilliseconds, 1e-3), MinRounds, MaxRounds);

    private static (List<double> Medians, int Rounds) Measure(IReadOnlyList<ModelProto> models, CalibrationSample sample, Func<double, int> roundsAfterWarmUp)
    {
        var sessions = new List<ModelSession>(models.Count);
        try
        {
            foreach (var (model, i) in models.Select((m, i) => (m, i)))
            {
                sessions.Add(ModelSession.Create(model, $"latency model {i}", threads: 1));
            }

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

            return (timings.Select(Median).ToList(), rounds);
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
