using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>Whole model families as real exports write them (un-folded BN, residual Adds, depthwise Convs, Relu6, HardSwish).</summary>
[TestClass]
public sealed class ModelFamilyQuantizationTests
{
    private static readonly long[] ImageShape = [2, 3, 32, 32];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("resnet", CalibrationMethod.Entropy)]
    [DataRow("resnet", CalibrationMethod.Percentile)]
    [DataRow("mobilenet", CalibrationMethod.Entropy)]
    [DataRow("mobilenet", CalibrationMethod.MinMax)]
    public void Quantize_ConvNetFamily_FoldsBatchNormFusesEveryConvAndKeepsCosineAbove099(string family, CalibrationMethod method)
    {
        var original = family == "resnet" ? ResidualNetModel.Create() : DepthwiseNetModel.Create();
        var convs = original.Graph.Node.Count(n => n.OpType == "Conv");
        var calibration = RandomSamples("image", ImageShape, count: 8, seed: 10);
        var heldOut = RandomSamples("image", ImageShape, count: 4, seed: 99);

        var context = Context(calibration, out _);
        var quantized = new QdqQuantizationPass(new QuantizationOptions { CalibrationMethod = method }).Apply(original.Clone(), context);

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"{family}/{method}: cosine {cosine:F5}; notes: {string.Join(" | ", context.Notes)}");
        TestContext.WriteLine("ORT executes: " + string.Join(", ", ops));
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        Assert.IsFalse(quantized.Graph.Node.Any(n => n.OpType == "BatchNormalization"), "every BN is folded into its Conv");
        Assert.AreEqual(convs, ops.Count(o => o == "QLinearConv"), "every Conv, depthwise included, runs as QLinearConv");
        Assert.IsFalse(ops.Contains("Conv"));
        Assert.Contains("QLinearAdd", ops, "residual Adds with quantized peers run in integers");
    }

    [TestMethod]
    public void Quantize_DecoderOps_RunAsIntegerKernelsAndKeepCosineAbove099()
    {
        var original = DecoderModel.Create();
        long[] shape = [2, DecoderModel.Channels, 8, 8];
        var calibration = RandomSamples(DecoderModel.Input, shape, count: 8, seed: 10);
        var heldOut = RandomSamples(DecoderModel.Input, shape, count: 4, seed: 99);

        var context = Context(calibration, out _);
        var quantized = new QdqQuantizationPass().Apply(original.Clone(), context);

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"decoder: cosine {cosine:F5}; notes: {string.Join(" | ", context.Notes)}");
        TestContext.WriteLine("ORT executes: " + string.Join(", ", ops));
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        var transposedDq = quantized.Graph.Node.Single(n => n.OpType == "DequantizeLinear" && n.Input[0].StartsWith("up.weight", StringComparison.Ordinal));
        Assert.AreEqual(1L, Optimizer.Core.Onnx.Attributes.GetInt(transposedDq, "axis", -1), "ConvTranspose weights are per-channel along axis 1");
        foreach (var op in new[] { "QLinearConv", "QLinearLeakyRelu", "QLinearConcat", "QLinearSigmoid", "QLinearMul" })
        {
            Assert.Contains(op, ops);
        }

        Assert.IsFalse(ops.Contains("Conv") || ops.Contains("LeakyRelu") || ops.Contains("Sigmoid"), "no float kernel remains for those ops");
        // Slice shares its input's scale, so ORT runs it on uint8: no QuantizeLinear sits between the head and the Slice.
        Assert.AreEqual("DequantizeLinear", ops[ops.IndexOf("Slice") + 1]);
        Assert.AreNotEqual("QuantizeLinear", ops[ops.IndexOf("Slice") - 1]);
    }
}
