using System.Diagnostics;
using System.Globalization;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Pruning;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Verification;
using Optimizer.TestModels;

namespace Optimizer.Benchmarks;

/// <summary>
/// The pruning table: for each model, channel pruning at 30% and 50% with and without reconstruction (parameters, size,
/// single-thread latency, cosine on held-out samples the calibration never saw) and magnitude pruning at 50% and 80%
/// followed by INT8 (gzip size against INT8 alone). All latencies of a model are measured interleaved in one run.
/// </summary>
internal static class PruningBenchmark
{
    private const int HeldOutSamples = 8;

    private static readonly BenchmarkCase[] Cases =
    [
        new("convnet-w64-64px", () => ConvNetModel.Create(width: 64, imageSize: 64), ConvNetModel.Input, [1, 3, 64, 64]),
        new("convnet-w128-64px", () => ConvNetModel.Create(width: 128, imageSize: 64), ConvNetModel.Input, [1, 3, 64, 64]),
        new("resnet-bn-w32-64px", () => ResidualNetModel.Create(width: 32, imageSize: 64), ResidualNetModel.Input, [1, 3, 64, 64]),
        new("mobilenet-bn-w32-64px", () => DepthwiseNetModel.Create(width: 32, imageSize: 64), DepthwiseNetModel.Input, [1, 3, 64, 64]),
    ];

    /// <summary>Prints the table; <paramref name="only"/> restricts it to the model of that name.</summary>
    public static void Print(int samples, int rounds, string? only = null)
    {
        Console.WriteLine($"Pruning: {samples} calibration samples, cosine on {HeldOutSamples} held-out samples, {rounds} interleaved single-thread latency rounds");
        Console.WriteLine();
        Console.WriteLine("| model | pruning | parameters | size | gzip size | latency | cosine | centered cosine | tool time |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");

        // Every model is pruned and quantized first, then all latencies are timed back to back, so that no pruning or
        // calibration work (and its garbage collections) runs between timed rounds.
        var prepared = Cases.Where(c => only is null || c.Name == only).Select(c => Prepare(c, samples)).ToList();
        foreach (var rows in prepared.Select(p => p.Rows(rounds)).ToList())
        {
            rows.ForEach(Console.WriteLine);
        }

        Console.WriteLine();
        Console.WriteLine("Ratios are against the float32 original, except magnitude + int8 rows, whose gzip size is also given against int8 alone.");
        Console.WriteLine("Magnitude pruning does not change latency: ONNX Runtime has no sparse kernel for these dense layouts.");
        Console.WriteLine("centered cosine compares outputs minus the original's mean output over the held-out samples: on random inputs the");
        Console.WriteLine("logits vary little between samples, and plain cosine mostly measures that shared mean.");
    }

    private static PreparedCase Prepare(BenchmarkCase benchmark, int samples)
    {
        var original = benchmark.Build();
        var calibration = ModelRuns.RandomSamples(benchmark.Input, benchmark.SampleShape, samples, seed: 5);
        var heldOut = ModelRuns.RandomSamples(benchmark.Input, benchmark.SampleShape, HeldOutSamples, seed: 6);
        var expected = ModelRuns.RunAll(original, heldOut);
        var originalSizes = ModelSizes.Of(original);

        var variants = new List<Variant>();
        void AddVariant(string name, PruningOptions options)
        {
            var (model, seconds) = Timed(() => new PruningPass(options).Apply(original.Clone(), Context(calibration)));
            variants.Add(new Variant(name, model, seconds, Fidelity(expected, ModelRuns.RunAll(model, heldOut))));
        }

        foreach (var sparsity in new[] { 0.3, 0.5 })
        {
            foreach (var reconstruction in new[] { false, true })
            {
                AddVariant($"channel {sparsity:0%}{(reconstruction ? " + reconstruction" : "")}", new PruningOptions { Sparsity = sparsity, Reconstruction = reconstruction });
            }
        }

        // The sensitivity schedule with plain trials, then with trials refitted as the final pruning is: the tool time is its cost.
        foreach (var refittedTrials in new[] { false, true })
        {
            AddVariant($"channel 50% sensitivity{(refittedTrials ? " (refitted trials)" : "")} + reconstruction",
                new PruningOptions { Sparsity = 0.5, Schedule = PruningSchedule.Sensitivity, SensitivityReconstruction = refittedTrials });
        }

        var int8 = ModelSizes.Of(Quantize(original.Clone(), calibration));
        var int8Rows = new List<string>();
        foreach (var sparsity in new[] { 0.0, 0.5, 0.8 })
        {
            var options = new PruningOptions { Method = PruningMethod.Magnitude, Sparsity = sparsity };
            var (model, seconds) = Timed(() => Quantize(new PruningPass(options).Apply(original.Clone(), Context(calibration)), calibration));
            var sizes = ModelSizes.Of(model);
            int8Rows.Add(Row(benchmark.Name, sparsity == 0 ? "int8" : $"magnitude {sparsity:0%} + int8", 1, sizes, originalSizes,
                "-", Fidelity(expected, ModelRuns.RunAll(model, heldOut)), seconds,
                string.Create(CultureInfo.InvariantCulture, $" ({sizes.CompressedBytes / (double)int8.CompressedBytes:0.000}x int8)")));
        }

        return new PreparedCase(benchmark.Name, original, calibration.Samples[0], variants, int8Rows);
    }

    private sealed record Variant(string Name, ModelProto Model, double Seconds, (double Plain, double Centered) Cosine);

    /// <summary>One model with its pruned variants built and measured, waiting only for latency timing.</summary>
    private sealed record PreparedCase(string Name, ModelProto Original, CalibrationSample Sample, List<Variant> Variants, List<string> Int8Rows)
    {
        public List<string> Rows(int rounds)
        {
            var latency = LatencyMeter.MedianMilliseconds([Original, .. Variants.Select(v => v.Model)], Sample, rounds);
            var sizes = ModelSizes.Of(Original);
            var parameters = ModelSummary.Of(Original).Parameters;
            var rows = new List<string> { Row(Name, "none (float32)", parameters, sizes, sizes, $"{latency[0]:0.00} ms", (1, 1), 0) };
            rows.AddRange(Variants.Select((v, i) => Row(Name, v.Name, ModelSummary.Of(v.Model).Parameters / (double)parameters, ModelSizes.Of(v.Model), sizes,
                string.Create(CultureInfo.InvariantCulture, $"{latency[i + 1] / latency[0]:0.00}x"), v.Cosine, v.Seconds)));
            rows.AddRange(Int8Rows);
            return rows;
        }
    }

    private static string Row(string model, string pruning, double parameters, ModelSizes sizes, ModelSizes original, string latency,
        (double Plain, double Centered) cosine, double seconds, string gzipNote = "") =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {model} | {pruning} | {(parameters > 1 ? $"{parameters:0}" : $"{parameters:0.000}x")} | {sizes.Bytes / (double)original.Bytes:0.000}x | " +
            $"{sizes.CompressedBytes / (double)original.CompressedBytes:0.000}x{gzipNote} | {latency} | {cosine.Plain:0.0000} | {cosine.Centered:0.0000} | {seconds:0.0} s |");

    /// <summary>Cosine of the outputs, and cosine after subtracting the original's mean output (what varies from sample to sample).</summary>
    private static (double Plain, double Centered) Fidelity(float[] expected, float[] actual)
    {
        var size = expected.Length / HeldOutSamples;
        var mean = new float[size];
        for (var i = 0; i < expected.Length; i++)
        {
            mean[i % size] += expected[i] / HeldOutSamples;
        }

        var centeredExpected = expected.Select((v, i) => v - mean[i % size]).ToArray();
        var centeredActual = actual.Select((v, i) => v - mean[i % size]).ToArray();
        return (ModelRuns.Cosine(expected, actual), ModelRuns.Cosine(centeredExpected, centeredActual));
    }

    private static ModelProto Quantize(ModelProto model, CalibrationSet calibration) => new QdqQuantizationPass().Apply(model, Context(calibration));

    private static PassContext Context(CalibrationSet calibration) => new(calibration, new SilentSink());

    private static (T Result, double Seconds) Timed<T>(Func<T> work)
    {
        var timer = Stopwatch.StartNew();
        var result = work();
        return (result, timer.Elapsed.TotalSeconds);
    }
}
