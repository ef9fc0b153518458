using System.Diagnostics;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;

namespace Optimizer.Benchmarks;

/// <summary>
/// Median single-thread latency of several models on the same sample. Runs are interleaved (A, B, C, A, B, C, ...)
/// so that a noisy neighbour or CPU frequency change hits every model alike and the ratios stay meaningful.
/// </summary>
internal static class LatencyMeter
{
    public static IReadOnlyList<double> MedianMilliseconds(IReadOnlyList<ModelProto> models, CalibrationSample sample, int rounds)
    {
        var sessions = models.Select((m, i) => ModelSession.Create(m, $"benchmark model {i}", threads: 1)).ToList();
        try
        {
            foreach (var session in sessions)
            {
                session.Run(sample); // warm-up: first runs allocate and pick kernels
            }

            var timings = sessions.Select(_ => new List<double>()).ToList();
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
