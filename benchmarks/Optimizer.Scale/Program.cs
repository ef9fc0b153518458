using System.Diagnostics;
using System.Globalization;
using Optimizer.Core;
using Optimizer.Core.Diagnostics;
using Optimizer.Scale;
using Optimizer.TestModels.Fuzzing;

// Usage (Release):
//   dotnet run -c Release --project benchmarks/Optimizer.Scale -- large [--weights-mb 1024] [--trace]
//   dotnet run -c Release --project benchmarks/Optimizer.Scale -- fuzz [--fuzz-seconds 300] [--seed 1]
//   dotnet run -c Release --project benchmarks/Optimizer.Scale -- write --weights-mb 2200 --out /tmp/big/large.onnx
var mode = args.FirstOrDefault() ?? "large";
string Option(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;

switch (mode)
{
    case "fuzz":
        var seconds = int.Parse(Option("--fuzz-seconds", "300"), CultureInfo.InvariantCulture);
        var folder = Directory.CreateTempSubdirectory("optimizer-fuzz-").FullName;
        var summary = new Fuzzer(folder, TimeSpan.FromSeconds(120)).RunFor(int.Parse(Option("--seed", "1"), CultureInfo.InvariantCulture), TimeSpan.FromSeconds(seconds));
        Console.WriteLine(summary);
        return summary.Findings.Count == 0 ? 0 : 1;

    case "large":
        var weightsMb = long.Parse(Option("--weights-mb", "1024"), CultureInfo.InvariantCulture);
        var work = Directory.CreateTempSubdirectory("optimizer-scale-").FullName;
        var model = Path.Combine(work, "large.onnx");
        var weights = LargeModel.Write(model, weightsMb * 1024 * 1024);
        File.WriteAllText(Path.Combine(work, "large.compression.yaml"), "version: 1\ncalibration:\n  samples: 2\n");
        var ioSeconds = ReadWritePass(model + ".data", Path.Combine(work, "copy.bin"));
        Console.WriteLine($"model: {weights / (1024 * 1024)} MiB of float32 weights in external data; one read+write pass: {ioSeconds:0.00} s; {Environment.ProcessorCount} cores");
        Console.WriteLine("| profile | peak working set | peak / weights | tool time | tool / io pass | weight pass time | pass / io pass |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var trace = args.Contains("--trace");
        foreach (var profile in new[] { "cpu-int8", "gpu-fp16" })
        {
            // Each profile in its own process, so each peak working set is that profile's alone.
            var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, trace ? ["profile", model, profile, "--trace"] : ["profile", model, profile]) { RedirectStandardOutput = true })!;
            var line = child.StandardOutput.ReadToEnd().Trim().Split(' ');
            child.WaitForExit();
            var (peak, tool, pass) = (long.Parse(line[0], CultureInfo.InvariantCulture), double.Parse(line[1], CultureInfo.InvariantCulture), double.Parse(line[2], CultureInfo.InvariantCulture));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {profile} | {peak / (1024 * 1024)} MiB | {(double)peak / weights:0.00}x | {tool:0.0} s | {tool / ioSeconds:0.0}x | {pass:0.0} s | {pass / ioSeconds:0.0}x |"));
        }

        Directory.Delete(work, recursive: true);
        return 0;

    case "write":
        // Only writes the model (+ .data), for an end-to-end run through the CLI beyond what `large` runs in-process.
        var target = Path.GetFullPath(Option("--out", "large.onnx"));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var written = LargeModel.Write(target, long.Parse(Option("--weights-mb", "2200"), CultureInfo.InvariantCulture) * 1024 * 1024);
        Console.WriteLine($"{target}: {written / (1024 * 1024)} MiB of float32 weights in {target}.data");
        return 0;

    case "profile":
        var clock = Stopwatch.StartNew();
        // --trace prints the peak memory of every phase (between two progress messages) to stderr.
        var phases = args.Contains("--trace") && PhaseMemoryTrace.IsSupported ? new PhaseMemoryTrace() : null;
        var outcome = new Pipeline(phases ?? (IDiagnosticSink)new NullSink()).Run(new CompressionRequest { ModelPath = args[1], Profiles = [args[2]], OutputDirectory = Path.Combine(Path.GetDirectoryName(args[1])!, "out") })[0];
        phases?.Close();
        var passSeconds = outcome.Report.Passes.Sum(p => p.Seconds);
        var peakBytes = Math.Max(Process.GetCurrentProcess().PeakWorkingSet64, phases?.PeakBytes ?? 0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{peakBytes} {clock.Elapsed.TotalSeconds} {passSeconds}"));
        return 0;

    default:
        Console.Error.WriteLine("usage: Optimizer.Scale large [--weights-mb N] [--trace] | fuzz [--fuzz-seconds N] [--seed N] | write [--weights-mb N] --out FILE");
        return 2;
}

// The yardstick: read every weight byte and write it once, as the cheapest possible weight-only pass would.
static double ReadWritePass(string source, string target)
{
    var clock = Stopwatch.StartNew();
    using (var input = File.OpenRead(source))
    using (var output = File.Create(target))
    {
        input.CopyTo(output, 1 << 20);
        output.Flush(flushToDisk: true);
    }

    File.Delete(target);
    return clock.Elapsed.TotalSeconds;
}

/// <summary>Discards diagnostics: the benchmark prints only its table.</summary>
internal sealed class NullSink : IDiagnosticSink
{
    public void Warn(Diagnostic diagnostic)
    {
    }

    public void Detail(string message)
    {
    }
}
