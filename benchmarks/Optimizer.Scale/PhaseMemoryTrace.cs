using System.Diagnostics;
using System.Globalization;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Scale;

/// <summary>
/// A diagnostic sink that prints, for each stretch between two progress messages, the highest resident memory the
/// process reached in it, so a peak can be pinned to the phase that caused it. Linux only: it reads the kernel's peak
/// (VmHWM in /proc/self/status) and resets it after every message (writing 5 to /proc/self/clear_refs).
/// </summary>
internal sealed class PhaseMemoryTrace : IDiagnosticSink
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private string _phase = "start";
    private double _phaseStarted;

    /// <summary>
    /// The highest resident memory of any stretch so far: resetting the kernel's peak also resets what
    /// <see cref="Process.PeakWorkingSet64"/> reports, so a traced run takes its peak from here.
    /// </summary>
    public long PeakBytes { get; private set; }

    /// <summary>True where the kernel interfaces the trace relies on exist.</summary>
    public static bool IsSupported => File.Exists("/proc/self/clear_refs") && File.Exists("/proc/self/status");

    /// <inheritdoc/>
    public void Warn(Diagnostic diagnostic)
    {
    }

    /// <inheritdoc/>
    public void Detail(string message)
    {
        Close();
        _phase = message;
        _phaseStarted = _clock.Elapsed.TotalSeconds;
    }

    /// <summary>Prints the stretch since the last message (call once more after the run).</summary>
    public void Close()
    {
        var now = _clock.Elapsed.TotalSeconds;
        var peak = PeakResidentBytes();
        PeakBytes = Math.Max(PeakBytes, peak);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_phaseStarted,7:0.00} s {now - _phaseStarted,6:0.00} s  peak {peak / (1024 * 1024),6} MiB  {_phase}"));
        File.WriteAllText("/proc/self/clear_refs", "5");
    }

    private static long PeakResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
