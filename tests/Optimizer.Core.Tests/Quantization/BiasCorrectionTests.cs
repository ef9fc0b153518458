using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using static Optimizer.TestModels.ModelRuns;

namespace Optimizer.Core.Tests.Quantization;

[TestClass]
public sealed class BiasCorrectionTests
{
    private static readonly long[] ImageShape = [2, 3, 16, 16];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Quantize_LayerWithPerChannelRoundingBias_BiasCorrectionHalvesTheOutputError()
    {
        var original = BiasedConvModel.Create();
        var calibration = RandomSamples(BiasedConvModel.Input, ImageShape, count: 8, seed: 3);
        var heldOut = RandomSamples(BiasedConvModel.Input, ImageShape, count: 4, seed: 4);
        var expected = RunAll(original, heldOut);

        var plain = new QdqQuantizationPass(new QuantizationOptions { BiasCorrection = false }).Apply(original.Clone(), Context(calibration, out _));
        var context = Context(calibration, out _);
        var corrected = new QdqQuantizationPass().Apply(original.Clone(), context);

        var plainError = MeanSquaredError(expected, RunAll(plain, heldOut));
        var correctedError = MeanSquaredError(expected, RunAll(corrected, heldOut));
        TestContext.WriteLine($"mse without {plainError:E3}, with bias correction {correctedError:E3}; notes: {string.Join(" | ", context.Notes)}");
        Assert.IsLessThan(plainError / 2, correctedError, "bias correction removes most of the systematic error");
        Assert.IsTrue(context.Notes.Any(n => n.StartsWith("bias correction shifted the bias of 3 layer(s)", StringComparison.Ordinal)),
            "the two Convs and the Gemm head are corrected");
    }

    [TestMethod]
    public void Quantize_WithBiasCorrection_StillFusesEveryLayerIntoIntegerKernels()
    {
        var calibration = RandomSamples(BiasedConvModel.Input, ImageShape, count: 4, seed: 3);

        var quantized = new QdqQuantizationPass().Apply(BiasedConvModel.Create(), Context(calibration, out _));

        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine("ORT executes: " + string.Join(", ", ops));
        Assert.AreEqual(2, ops.Count(o => o == "QLinearConv"), "a corrected bias is an ordinary int32 bias: no extra node");
        Assert.Contains("QGemm", ops);
        Assert.IsFalse(ops.Contains("Conv") || ops.Contains("Add"));
    }

    private static double MeanSquaredError(float[] expected, float[] actual) =>
        expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Average();
}
