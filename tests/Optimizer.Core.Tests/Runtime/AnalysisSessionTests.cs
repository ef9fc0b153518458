using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Runtime;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Runtime;

/// <summary>
/// Analysis sessions (calibration, layer error probe) run without ORT's weight prepacking, which only changes when the
/// weights are rearranged for the kernels, not the results: float and QDQ models give the same outputs, bit for bit, as
/// the prepacking sessions that verification and latency use.
/// </summary>
[TestClass]
public sealed class AnalysisSessionTests
{
    [TestMethod]
    public void ConvNet_WithoutPrepacking_GivesTheOutputsOfThePrepackingSession()
    {
        var samples = ModelRuns.RandomSamples(ConvNetModel.Input, [2, 3, 16, 16], count: 2, seed: 11);

        AssertSameOutputs(ConvNetModel.Create(), samples);
    }

    [TestMethod]
    public void QuantizedMlp_WithoutPrepacking_GivesTheOutputsOfThePrepackingSession()
    {
        var samples = ModelRuns.RandomSamples(GemmMlpModel.Input, [4, 64], count: 2, seed: 12);
        var quantized = new QdqQuantizationPass().Apply(GemmMlpModel.Create(dim: 64), new PassContext(samples, new RecordingSink()));

        AssertSameOutputs(quantized, samples);
    }

    private static void AssertSameOutputs(ModelProto model, CalibrationSet samples)
    {
        using var prepacked = ModelSession.Create(model, "prepacked model");
        using var analysis = ModelSession.CreateForAnalysis(model, "analysis model");
        foreach (var sample in samples.Samples)
        {
            var expected = prepacked.Run(sample).SelectMany(r => r.Values).ToArray();
            CollectionAssert.AreEqual(expected, analysis.Run(sample).SelectMany(r => r.Values).ToArray());
        }
    }
}
