using System.Diagnostics;
using Google.Protobuf;
using Optimizer.Core;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Runtime;
using Optimizer.Core.Verification;
using Optimizer.TestModels;

namespace Optimizer.Benchmarks;

/// <summary>Runs one case end to end: write model and calibration data, compress both profiles, time everything.</summary>
internal static class CaseRunner
{
    /// <summary>Samples, unseen by calibration, on which INT8 fidelity is measured.</summary>
    private const int HeldOutSamples = 32;

    public static CaseResult Run(BenchmarkCase benchmark, int samples, int rounds)
    {
        var folder = Directory.CreateTempSubdirectory($"optimizer-bench-{benchmark.Name}-").FullName;
        try
        {
            var model = benchmark.Build();
            var modelPath = Path.Combine(folder, "net.onnx");
            File.WriteAllBytes(modelPath, model.ToByteArray());
            if (benchmark.Yaml is not null)
            {
                File.WriteAllText(Path.Combine(folder, "compression.yaml"), benchmark.Yaml);
            }

            var calibration = ModelRuns.RandomSamples(benchmark.Input, benchmark.SampleShape, samples, seed: 5);
            var calibrationFolder = Directory.CreateDirectory(Path.Combine(folder, "calibration")).FullName;
            foreach (var sample in calibration.Samples)
            {
                NpyWriter.Write(Path.Combine(calibrationFolder, $"{sample.Id}.npy"), sample.Inputs[0]);
            }

            var inference = Stopwatch.StartNew();
            using (var session = ModelSession.Create(model, "float32 model"))
            {
                var created = inference.Elapsed.TotalSeconds;
                foreach (var sample in calibration.Samples)
                {
                    session.Run(sample);
                }

                if (SilentSink.ShowTimings)
                {
                    Console.Error.WriteLine($"[{benchmark.Name}] fp32 floor: session {created:0.000} s, {calibration.Samples.Count} runs {inference.Elapsed.TotalSeconds - created:0.000} s");
                }
            }

            var inferenceSeconds = inference.Elapsed.TotalSeconds;
            var tool = Stopwatch.StartNew();
            var outcomes = new Pipeline(new SilentSink()).Run(new CompressionRequest { ModelPath = modelPath });
            var toolSeconds = tool.Elapsed.TotalSeconds;
            var peak = Process.GetCurrentProcess().PeakWorkingSet64;

            var int8 = outcomes.Single(o => o.Report.Profile == "cpu-int8");
            var fp16 = outcomes.Single(o => o.Report.Profile == "gpu-fp16");
            var latency = LatencyMeter.MedianMilliseconds(
                [model, ModelFile.Load(int8.OutputPath), ModelFile.Load(fp16.OutputPath)], calibration.Samples[0], rounds);
            var weightBytes = ModelSummary.Of(model).WeightBytes;
            // Held-out samples the calibration never saw: what the fidelity of a shipped model means.
            var heldOut = ModelRuns.RandomSamples(benchmark.Input, benchmark.SampleShape, HeldOutSamples, seed: 6).Samples;
            var heldOutFidelity = FidelityVerifier.Verify(FidelityVerifier.ReferenceOutputs(model, heldOut), ModelFile.Load(int8.OutputPath), heldOut);
            var top1 = heldOutFidelity.Outputs.Where(o => o.Top1Agreement is not null).Select(o => o.Top1Agreement!.Value).DefaultIfEmpty(double.NaN).Min();
            return new CaseResult(
                benchmark.Name,
                weightBytes,
                int8.Report.SizeRatio,
                fp16.Report.SizeRatio,
                int8.Report.Fidelity.Cosine,
                fp16.Report.Fidelity.Cosine,
                latency[0],
                latency[1] / latency[0],
                latency[2] / latency[0],
                toolSeconds,
                toolSeconds / inferenceSeconds,
                peak / (double)weightBytes,
                heldOutFidelity.Cosine,
                double.IsNaN(top1) ? null : top1,
                int8.Report.Passes.Sum(p => p.Seconds),
                inferenceSeconds);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
