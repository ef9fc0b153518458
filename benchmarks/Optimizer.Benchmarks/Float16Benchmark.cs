using System.Globalization;
using Optimizer.Core.Onnx;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Verification;
using Optimizer.TestModels;

namespace Optimizer.Benchmarks;

/// <summary>
/// The FP16 table for the gpu-fp16 profile's conversion: size ratio, cosine vs float32 measured on the float16
/// emulation (what a GPU computes, overflow included; ONNX Runtime's CPU run would hide it), Casts inserted, nodes
/// kept in float32, and weights of float32 nodes stored in float16 behind a Cast. No GPU latency: none is available here.
/// </summary>
internal static class Float16Benchmark
{
    private static readonly BenchmarkCase[] Cases =
    [
        new("convnet-w64-64px", () => ConvNetModel.Create(width: 64, imageSize: 64), ConvNetModel.Input, [1, 3, 64, 64]),
        new("transformer-d128-t32", () => TransformerBlockModel.Create(dim: 128, tokens: 32), TransformerBlockModel.Input, [1, 32, 128]),
        new("audio-frontend-1e11", () => AudioFrontEndModel.Create(samples: 8000, channels: 64), AudioFrontEndModel.Input, [1, 1, 8000]),
    ];

    /// <summary>Converts each model with the default gpu-fp16 options on <paramref name="samples"/> calibration samples and prints one row per model.</summary>
    public static void Print(int samples)
    {
        Console.WriteLine($"FP16 (gpu-fp16 conversion, {samples} calibration samples, cosine on the float16 emulation)");
        Console.WriteLine();
        Console.WriteLine("| model | fp16 size | emulated cosine | CPU-run cosine | Casts inserted | nodes kept float32 | float32-node weights in fp16 / kept exact | conversion time |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var benchmark in Cases)
        {
            var model = benchmark.Build();
            var calibration = ModelRuns.RandomSamples(benchmark.Input, benchmark.SampleShape, samples, seed: 5);
            var context = new PassContext(calibration, new SilentSink());
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var pass = new Float16ConversionPass();
            var converted = pass.Apply(model.Clone(), context);
            var seconds = watch.Elapsed.TotalSeconds;

            var reference = FidelityVerifier.ReferenceOutputs(model, calibration.Samples);
            var emulated = FidelityVerifier.Verify(reference, converted, calibration.Samples, VerificationPath.Float16Emulation);
            var cpu = FidelityVerifier.Verify(reference, converted, calibration.Samples, VerificationPath.OnnxRuntimeCpu);
            var ratio = (double)ModelFile.ToBytes(converted).Length / ModelFile.ToBytes(model).Length;
            var casts = CastCount(converted) - CastCount(model);
            var kept = context.Notes.Count(n => n.StartsWith("float16: kept ", StringComparison.Ordinal) && n.Contains(" node '", StringComparison.Ordinal));
            var rounded = NumberAfter(context.Notes, "float16: stored ");
            var exact = context.Notes.Where(n => n.Contains("weights read only by float32 nodes exact", StringComparison.Ordinal)).Sum(n => NumberAfter([n], "float16: kept "));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {benchmark.Name} | {ratio:0.0000}x | {emulated.Cosine:0.00000} | {cpu.Cosine:0.00000} | {casts} | {kept} | {rounded} / {exact} | {seconds:0.0} s |"));
        }

        Console.WriteLine();
        Console.WriteLine("FP16 GPU latency is not measured: no GPU (CUDA provider) was available to this run.");
    }

    private static int CastCount(Optimizer.Core.Onnx.Proto.ModelProto model) => ModelWalker.AllGraphs(model).Sum(g => g.Node.Count(n => n.OpType == "Cast"));

    /// <summary>The count a note starting with <paramref name="prefix"/> gives right after it, or 0.</summary>
    private static int NumberAfter(IEnumerable<string> notes, string prefix) =>
        notes.Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => int.TryParse(n.AsSpan(prefix.Length).ToString().Split(' ')[0], CultureInfo.InvariantCulture, out var count) ? count : 0)
            .Sum();
}
