using Google.Protobuf;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using Optimizer.Core.Verification;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Verification;

/// <summary>
/// How verification keeps large models' memory bounded, exercised with small models and a small threshold: an
/// emulation's weights handed to ORT through a file and dropped, large models timed one after the other, and the
/// original timed once for every profile.
/// </summary>
[TestClass]
public sealed class LargeModelVerificationTests
{
    private static readonly long[] InputShape = [2, 3, 16, 16];

    [TestMethod]
    public void ReleasingSession_RunsLikeTheInMemoryModelAndLeavesItsWeightsInTheFileOnly()
    {
        var model = ConvNetModel.Create();
        var samples = ModelRuns.RandomSamples(ConvNetModel.Input, InputShape, count: 2, seed: 3);
        var expected = ModelRuns.RunAll(model, samples);

        using var session = ModelSession.Create(model, "conv net", optimizedModelPath: null, threads: 0, fileAbove: 0, release: true);

        Assert.IsTrue(session.LoadedFromFile);
        CollectionAssert.AreEqual(expected, samples.Samples.SelectMany(s => session.Run(s).SelectMany(r => r.Values)).ToArray());
        var weights = ModelWalker.AllTensors(model).Where(t => t.Dims.Aggregate(1L, (a, d) => a * d) >= 1024).ToList();
        Assert.IsNotEmpty(weights);
        Assert.IsTrue(weights.All(t => t.DataLocation == TensorProto.Types.DataLocation.External && t.RawData.IsEmpty),
            "the model's own copy of every large weight is dropped once ORT has the file");
    }

    [TestMethod]
    public void Compare_AgainstAnOriginalTimedEarlier_TimesTheOptimizedModelAloneAndSaysSo()
    {
        var model = ConvNetModel.Create();
        var sample = ModelRuns.RandomSamples(ConvNetModel.Input, InputShape, count: 1, seed: 4).Samples[0];
        var original = LatencyMeter.Alone(model, sample, TimeSpan.FromMilliseconds(50));

        var report = LatencyMeter.Compare(original, model, sample, TimeSpan.FromMilliseconds(50));

        Assert.IsTrue(LatencyMeter.Interleaves(model), "a model this small is timed interleaved in builds");
        Assert.IsFalse(report.Interleaved);
        Assert.AreEqual(original.Milliseconds, report.OriginalMilliseconds);
        Assert.IsTrue(report.Rounds is >= LatencyMeter.MinRounds and <= LatencyMeter.MaxRounds, $"{report.Rounds} rounds");
        Assert.IsTrue(report.OptimizedMilliseconds > 0 && report.Ratio is > 0.2 and < 5, $"the same model timed twice: ratio {report.Ratio:0.00}");
    }

    // Sets the process-wide threshold that makes a small model take the large-model path, so it runs alone.
    [TestMethod]
    [DoNotParallelize]
    public void Pipeline_LargeModel_TimesTheOriginalOnceAndStillVerifiesEveryProfile()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-large-verify-").FullName;
        var previous = Environment.GetEnvironmentVariable(ModelFile.ExternalDataAboveVariable);
        Environment.SetEnvironmentVariable(ModelFile.ExternalDataAboveVariable, "1024");
        try
        {
            var modelPath = Path.Combine(folder, "net.onnx");
            File.WriteAllBytes(modelPath, ConvNetModel.Create(opset: 11).ToByteArray());

            var outcomes = new Pipeline(new RecordingSink()).Run(new CompressionRequest
            {
                ModelPath = modelPath,
                Profiles = ["cpu-int8", "gpu-fp16"],
                OutputDirectory = Path.Combine(folder, "out"),
            });

            Assert.HasCount(2, outcomes);
            foreach (var outcome in outcomes)
            {
                Assert.IsFalse(outcome.Report.Latency!.Interleaved, $"{outcome.Report.Profile} is timed alone");
                Assert.IsGreaterThanOrEqualTo(0.99, outcome.Report.Fidelity.Cosine, outcome.Report.Profile);
                Assert.IsTrue(File.Exists(outcome.OutputPath));
            }

            Assert.AreEqual(outcomes[0].Report.Latency!.OriginalMilliseconds, outcomes[1].Report.Latency!.OriginalMilliseconds,
                "the original is timed once, before the profiles");
            Assert.AreEqual(VerificationPath.Float16Emulation, outcomes[1].Report.Verification);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ModelFile.ExternalDataAboveVariable, previous);
            Directory.Delete(folder, recursive: true);
        }
    }
}
