using System.Globalization;
using Optimizer.Benchmarks;
using Optimizer.Core.Config;
using Optimizer.TestModels;

// Whole-model benchmark: every ratio in a row is measured in this one run on this machine.
// Usage: dotnet run -c Release --project benchmarks/Optimizer.Benchmarks [-- --quick] [--model NAME] [--calibration METHOD] [--timings] [--pruning [--model NAME] | --fp16]
var quick = args.Contains("--quick");
SilentSink.ShowTimings = args.Contains("--timings");
var samples = quick ? 8 : 32;
var rounds = quick ? 20 : 100;
if (args.Contains("--fp16"))
{
    Float16Benchmark.Print(samples);
    return;
}

if (args.Contains("--pruning"))
{
    PruningBenchmark.Print(samples, rounds, args.SkipWhile(a => a != "--model").Skip(1).FirstOrDefault());
    return;
}

BenchmarkCase[] cases =
[
    new("convnet-w32-32px", () => ConvNetModel.Create(width: 32, imageSize: 32), ConvNetModel.Input, [1, 3, 32, 32]),
    new("convnet-w64-64px", () => ConvNetModel.Create(width: 64, imageSize: 64), ConvNetModel.Input, [1, 3, 64, 64]),
    new("convnet-w128-64px", () => ConvNetModel.Create(width: 128, imageSize: 64), ConvNetModel.Input, [1, 3, 64, 64]),
    new("resnet-bn-w32-64px", () => ResidualNetModel.Create(width: 32, imageSize: 64), ResidualNetModel.Input, [1, 3, 64, 64]),
    new("mobilenet-bn-w32-64px", () => DepthwiseNetModel.Create(width: 32, imageSize: 64), DepthwiseNetModel.Input, [1, 3, 64, 64]),
    new("mobilenetv2-96px", () => MobileNetV2Model.Create(imageSize: 96), DepthwiseNetModel.Input, [1, 3, 96, 96]),
    new("mobilenetv3-small-224px", () => MobileNetV3SmallModel.Create(imageSize: 224), DepthwiseNetModel.Input, [1, 3, 224, 224]),
    new("mobilenetv2-224px", () => MobileNetV2Model.Create(imageSize: 224), DepthwiseNetModel.Input, [1, 3, 224, 224]),
    new("transformer-d128-t32", () => TransformerBlockModel.Create(dim: 128, tokens: 32), TransformerBlockModel.Input, [1, 32, 128]),
    new("transformer-d128-t32 dynamic", () => TransformerBlockModel.Create(dim: 128, tokens: 32), TransformerBlockModel.Input, [1, 32, 128], QuantizationMode("dynamic")),
    new("transformer-d128-t32 int4", () => TransformerBlockModel.Create(dim: 128, tokens: 32), TransformerBlockModel.Input, [1, 32, 128], QuantizationMode("weight_only_int4")),
    new("gemm-mlp-d256-r32", () => GemmMlpModel.Create(dim: 256), GemmMlpModel.Input, [32, 256]),
    new("gemm-mlp-d256-r32 dynamic", () => GemmMlpModel.Create(dim: 256), GemmMlpModel.Input, [32, 256], QuantizationMode("dynamic")),
    new("gemm-mlp-d256-r32 int4", () => GemmMlpModel.Create(dim: 256), GemmMlpModel.Input, [32, 256], QuantizationMode("weight_only_int4")),
    new("lstm-h128-s32", () => LstmModel.Create(features: 64, hidden: 128), LstmModel.Input, [1, 32, 64]),
    new("lstm-h128-s32 dynamic", () => LstmModel.Create(features: 64, hidden: 128), LstmModel.Input, [1, 32, 64], QuantizationMode("dynamic")),
    new("audio-frontend-1e11", () => AudioFrontEndModel.Create(samples: 8000, channels: 64), AudioFrontEndModel.Input, [1, 1, 8000]),
];

Console.WriteLine($"Optimizer benchmark: {samples} calibration samples, {rounds} interleaved latency rounds, 1 ORT thread, {Environment.ProcessorCount} cores");
Console.WriteLine();
Console.WriteLine("| model | weights | int8 size | fp16 size | int8 cosine | fp16 cosine | int8 held-out cosine | int8 held-out top-1 | fp32 latency | int8/fp32 latency | fp16/fp32 latency (CPU) | tool time | tool / fp32 inference on calibration set | int8 passes / fp32 inference | peak memory / weights |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
// --model NAME runs only the cases whose name starts with NAME (e.g. --model gemm-mlp).
var only = args.SkipWhile(a => a != "--model").Skip(1).FirstOrDefault();
// --calibration METHOD calibrates the cases without their own compression.yaml with that method (e.g. entropy).
var calibrationMethod = args.SkipWhile(a => a != "--calibration").Skip(1).FirstOrDefault();
foreach (var benchmark in cases.Where(c => only is null || c.Name.StartsWith(only, StringComparison.Ordinal)))
{
    var r = CaseRunner.Run(calibrationMethod is null || benchmark.Yaml is not null ? benchmark
        : benchmark with { Yaml = $"version: 1\ncalibration: {{ method: {calibrationMethod} }}\n" }, samples, rounds);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Name} | {ConfigValues.FormatSize(r.WeightBytes)} | {r.Int8SizeRatio:0.000}x | {r.Fp16SizeRatio:0.000}x | {r.Int8Cosine:0.0000} | {r.Fp16Cosine:0.00000} | " +
        $"{r.Int8HeldOutCosine:0.0000} | {(r.Int8HeldOutTop1 is { } top1 ? $"{top1:0.0%}" : "-")} | " +
        $"{r.Fp32Milliseconds:0.00} ms | {r.Int8LatencyRatio:0.00}x | {r.Fp16CpuLatencyRatio:0.00}x | {r.ToolSeconds:0.0} s | {r.ToolTimeRatio:0.0}x | {r.Int8PassSeconds / r.InferenceSeconds:0.0}x | {r.PeakMemoryRatio:0.0}x |"));
}

Console.WriteLine();
Console.WriteLine("fp16 latency on CPU is informational: ORT runs most float16 ops in float32 between Casts there (see ORT-FACTS).");
Console.WriteLine("peak memory is the process's peak working set (runtime included) after the case, cases run smallest first.");
Console.WriteLine("held-out: 32 samples the calibration never saw; top-1 agreement over the last axis (per token for the transformer).");
Console.WriteLine("'dynamic' and 'int4' rows set quantization.mode for cpu-int8 (dynamic: int8 MatMul/Gemm weights, activations at run time;");
Console.WriteLine("int4: 4-bit block-wise MatMulNBits weights, block 32); their int8 columns describe that mode.");
Console.WriteLine();
if (only is null)
{
    PruningBenchmark.Print(samples, rounds);
}

static string QuantizationMode(string mode) => $"version: 1\nprofiles:\n  cpu-int8:\n    quantization: {{ mode: {mode} }}\n  gpu-fp16: {{}}\n";
