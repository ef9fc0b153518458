using System.Diagnostics;
using System.Globalization;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>Wall time per phase of the pass, for the detail log: where tool time goes is what tuning it needs.</summary>
internal sealed class PhaseTimer
{
    private readonly List<(string Phase, double Seconds)> _phases = [];

    /// <summary>Runs <paramref name="work"/> and records how long it took under <paramref name="phase"/>.</summary>
    public T Time<T>(string phase, Func<T> work)
    {
        var timer = Stopwatch.StartNew();
        var result = work();
        _phases.Add((phase, timer.Elapsed.TotalSeconds));
        return result;
    }

    /// <summary>"phase 0.123 s, ..." in the order the phases ran.</summary>
    public override string ToString() =>
        string.Join(", ", _phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.Seconds:0.000} s")));
}
