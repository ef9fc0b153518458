using System.Diagnostics;
using System.Globalization;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>Wall time per phase of the pass, for the detail log: where tool time goes is what tuning it needs.</summary>
internal sealed class PhaseTimer
{
    // Phases in the order they first ran; a phase that runs again (a later calibration, a second build) adds up.
    private readonly List<string> _order = [];
    private readonly Dictionary<string, double> _seconds = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="work"/> and records how long it took under <paramref name="phase"/>.</summary>
    public T Time<T>(string phase, Func<T> work)
    {
        var timer = Stopwatch.StartNew();
        try
        {
            return work();
        }
        finally
        {
            Add(phase, timer.Elapsed.TotalSeconds);
        }
    }

    /// <summary>Runs <paramref name="work"/> and records how long it took under <paramref name="phase"/>.</summary>
    public void Time(string phase, Action work) => Time(phase, () =>
    {
        work();
        return 0;
    });

    /// <summary>Adds <paramref name="seconds"/> to <paramref name="phase"/>.</summary>
    public void Add(string phase, double seconds)
    {
        if (!_seconds.TryAdd(phase, seconds))
        {
            _seconds[phase] += seconds;
            return;
        }

        _order.Add(phase);
    }

    /// <summary>"phase 0.123 s, ..." in the order the phases first ran.</summary>
    public override string ToString() =>
        string.Join(", ", _order.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p} {_seconds[p]:0.000} s")));
}
