using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

[TestClass]
public sealed class QdqQuantizationPassTests
{
    private static readonly long[] ImageShape = [2, 3, 16, 16];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(13)]
    [DataRow(11)]
    public void Quantize_ConvNet_KeepsCosineAbove099AndShrinksToUnderThirtyPercent(int opset)
    {
        var original = ConvNetModel.Create(opset: opset, width: 32);
        var floatSize = Serialize(original).Length;
        var calibration = RandomSamples(ConvNetModel.Input, ImageShape, count: 8, seed: 10);
        var heldOut = RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 99);
        var expected = RunAll(original, heldOut);

        var context = Context(calibration, out var sink);
        var quantized = new QdqQuantizationPass().Apply(original.Clone(), context);

        var cosine = Cosine(expected, RunAll(quantized, heldOut));
        var ratio = (double)Serialize(quantized).Length / floatSize;
        TestContext.WriteLine($"opset {opset}: cosine {cosine:F5}, size ratio {ratio:F3}; notes: {string.Join(" | ", context.Notes)}");
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        Assert.IsLessThanOrEqualTo(0.3, ratio);
        Assert.AreEqual(13, Opsets.DefaultDomainVersion(quantized));
        Assert.IsGreaterThanOrEqualTo(7L, quantized.IrVersion);
        Assert.IsEmpty(sink.Warnings);
        StringAssert.Contains(context.Notes[^1], "3 Conv");
        StringAssert.Contains(context.Notes[^1], "1 Gemm");
        StringAssert.Contains(context.Notes[^1], "0 left in float");
    }

    [TestMethod]
    public void Quantize_ConvNet_OrtFusesIntoQLinearConv()
    {
        var calibration = RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 10);
        var quantized = new QdqQuantizationPass().Apply(ConvNetModel.Create(width: 16), Context(calibration, out _));

        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);

        TestContext.WriteLine("ORT executes: " + string.Join(", ", ops));
        Assert.AreEqual(3, ops.Count(o => o == "QLinearConv"));
        Assert.IsFalse(ops.Contains("Conv"), "no float Conv may remain after ORT's fusions");
        Assert.IsFalse(ops.Contains("Relu"), "Relu folds into the QLinearConv output range");
        Assert.Contains("QGemm", ops, "the Gemm head runs as ORT's integer QGemm");
    }

    [TestMethod]
    public void Quantize_ConvNet_PutsNoQdqBetweenConvAndRelu()
    {
        var calibration = RandomSamples(ConvNetModel.Input, ImageShape, count: 2, seed: 10);
        var quantized = new QdqQuantizationPass().Apply(ConvNetModel.Create(), Context(calibration, out _));

        foreach (var conv in quantized.Graph.Node.Where(n => n.OpType == "Conv"))
        {
            var consumers = Nodes.Consumers(quantized.Graph, conv.Output[0]).ToList();
            Assert.HasCount(1, consumers);
            Assert.AreEqual("Relu", consumers[0].OpType);
            var afterRelu = Nodes.Consumers(quantized.Graph, consumers[0].Output[0]).Single();
            Assert.AreEqual("QuantizeLinear", afterRelu.OpType);
            var zeroPoint = quantized.Graph.Initializer.Single(i => i.Name == afterRelu.Input[2]);
            Assert.AreEqual(0, zeroPoint.RawData[0], "a Relu output has zero point 0, which lets ORT drop the Relu");
        }
    }

    [TestMethod]
    public void Quantize_WeightsInConstantNodes_AreHoistedAndQuantized()
    {
        var original = ConvNetModel.Create();
        Assert.IsTrue(original.Graph.Node.Any(n => n.OpType == "Constant"));
        var calibration = RandomSamples(ConvNetModel.Input, ImageShape, count: 2, seed: 10);

        var quantized = new QdqQuantizationPass().Apply(original, Context(calibration, out _));

        Assert.IsFalse(quantized.Graph.Node.Any(n => n.OpType == "Constant"));
        Assert.IsFalse(quantized.Graph.Initializer.Any(i => i.DataType == (int)DataType.Float && i.Dims.Count == 4),
            "no float Conv weight may remain");
        foreach (var conv in quantized.Graph.Node.Where(n => n.OpType == "Conv"))
        {
            var weightDq = Nodes.Producer(quantized.Graph, conv.Input[1])!;
            Assert.AreEqual("DequantizeLinear", weightDq.OpType);
            Assert.AreEqual(0L, Attributes.GetInt(weightDq, "axis", -1));
            var weight = quantized.Graph.Initializer.Single(i => i.Name == weightDq.Input[0]);
            Assert.AreEqual((int)DataType.Int8, weight.DataType);
            var scale = quantized.Graph.Initializer.Single(i => i.Name == weightDq.Input[1]);
            Assert.AreEqual(weight.Dims[0], scale.Dims.Single(), "one scale per output channel");

            var biasDq = Nodes.Producer(quantized.Graph, conv.Input[2])!;
            Assert.AreEqual((int)DataType.Int32, quantized.Graph.Initializer.Single(i => i.Name == biasDq.Input[0]).DataType);
        }
    }

    [TestMethod]
    public void Quantize_MatMulModel_KeepsCosineAbove099AndFuses()
    {
        var original = MatMulModel.Create();
        var calibration = RandomSamples(MatMulModel.Input, [4, MatMulModel.Features], count: 8, seed: 5);
        var heldOut = RandomSamples(MatMulModel.Input, [4, MatMulModel.Features], count: 4, seed: 77);
        var expected = RunAll(original, heldOut);

        var context = Context(calibration, out _);
        var quantized = new QdqQuantizationPass().Apply(original.Clone(), context);

        var cosine = Cosine(expected, RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"cosine {cosine:F5}; ORT executes: {string.Join(", ", ops)}; notes: {string.Join(" | ", context.Notes)}");
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        var weightDq = quantized.Graph.Node.Where(n => n.OpType == "DequantizeLinear" && n.Input[0].StartsWith("w1", StringComparison.Ordinal)).Single();
        Assert.AreEqual(1L, Attributes.GetInt(weightDq, "axis", -1), "MatMul weights are per-channel along their last dim");
        Assert.IsFalse(ops.Contains("MatMul"), "no float MatMul may remain after ORT's fusions");
        // A MatMul with a quantized output becomes QLinearMatMul; one feeding a float graph output, MatMulIntegerToFloat.
        Assert.Contains("QLinearMatMul", ops);
        Assert.Contains("MatMulIntegerToFloat", ops);
    }

    [TestMethod]
    [DataRow(ActivationType.UInt8, CalibrationMethod.Percentile, true)]
    [DataRow(ActivationType.Int8, CalibrationMethod.MinMax, true)]
    [DataRow(ActivationType.UInt8, CalibrationMethod.MinMax, false)]
    [DataRow(ActivationType.UInt8, CalibrationMethod.Entropy, true)]
    [DataRow(ActivationType.UInt8, CalibrationMethod.Mse, true)]
    public void Quantize_ConvNetWithOtherOptions_KeepsCosineAbove099(ActivationType activations, CalibrationMethod method, bool perChannel)
    {
        var original = ConvNetModel.Create();
        var calibration = RandomSamples(ConvNetModel.Input, ImageShape, count: 8, seed: 10);
        var heldOut = RandomSamples(ConvNetModel.Input, ImageShape, count: 2, seed: 98);
        var options = new QuantizationOptions { ActivationType = activations, CalibrationMethod = method, PerChannel = perChannel };

        var quantized = new QdqQuantizationPass(options).Apply(original.Clone(), Context(calibration, out _));

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        TestContext.WriteLine($"{activations}/{method}/perChannel={perChannel}: cosine {cosine:F5}");
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        var zeroPointType = activations == ActivationType.UInt8 ? DataType.Uint8 : DataType.Int8;
        var quantize = quantized.Graph.Node.First(n => n.OpType == "QuantizeLinear");
        Assert.AreEqual((int)zeroPointType, quantized.Graph.Initializer.Single(i => i.Name == quantize.Input[2]).DataType);
    }

    [TestMethod]
    public void Quantize_ExcludedOpType_StaysFloat()
    {
        var calibration = RandomSamples(ConvNetModel.Input, ImageShape, count: 2, seed: 10);
        var context = Context(calibration, out _);
        var options = new QuantizationOptions { ExcludeOpTypes = ["Gemm"], ExcludeNodeNames = ["conv?"] };

        var quantized = new QdqQuantizationPass(options).Apply(ConvNetModel.Create(), context);

        Assert.IsTrue(quantized.Graph.Initializer.Any(i => i.Name == "fc.weight" && i.DataType == (int)DataType.Float));
        Assert.IsTrue(quantized.Graph.Initializer.Any(i => i.Name == "conv1.weight" && i.DataType == (int)DataType.Float));
        StringAssert.Contains(context.Notes[^1], "4 left in float");
    }
}
