using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>
/// MobileNet-style networks in INT8: every layer (depthwise and pointwise Convs, Relu6, HardSwish, residual Adds,
/// pooling, head) runs in ORT's integer kernels, and the file holds little more than the int8 weights.
/// </summary>
[TestClass]
public sealed class DepthwiseNetQuantizationTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(11)]
    [DataRow(14)]
    public void Quantize_DepthwiseNetWithHardSwish_OrtRunsEveryLayerInInt8AndKeepsCosineAbove0999(int opset)
    {
        // Opset 11 writes HardSwish as x · HardSigmoid(x), opset 14 as a HardSwish node.
        var original = DepthwiseNetModel.Create(opset: opset, width: 16, imageSize: 32, weightsInConstants: true);
        long[] shape = [2, 3, 32, 32];
        var calibration = RandomSamples(DepthwiseNetModel.Input, shape, count: 8, seed: 10);
        var heldOut = RandomSamples(DepthwiseNetModel.Input, shape, count: 4, seed: 99);

        var context = Context(calibration, out _);
        var quantized = new QdqQuantizationPass().Apply(original.Clone(), context);

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"cosine {cosine:F5}; ORT executes: {string.Join(", ", ops)}");
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
        Assert.AreEqual(original.Graph.Node.Count(n => n.OpType == "Conv"), ops.Count(o => o == "QLinearConv"), "depthwise and pointwise Convs");
        Assert.AreEqual(1, ops.Count(o => o == "QuantizeLinear"), "only the image is quantized; every later tensor stays uint8");
        CollectionAssert.DoesNotContain(ops, "DequantizeLinear", "the QGemm head returns float itself");
        foreach (var op in new[] { "Conv", "Clip", "HardSigmoid", "HardSwish", "Mul", "Add", "Gemm", "GlobalAveragePool" })
        {
            CollectionAssert.DoesNotContain(ops, op, $"no float {op} remains");
        }

        Assert.AreEqual(3, ops.Count(o => o == "QLinearMul"), "each HardSwish's x * gate");
        Assert.AreEqual(2 + 3, ops.Count(o => o == "QLinearAdd"), "two residual Adds and each HardSwish's offset");
    }

    [TestMethod]
    public void Quantize_MobileNetV3SmallWithEntropyCalibration_RunsSqueezeExcitationAndHardSwishInInt8AndKeepsCosineAbove099()
    {
        // Real proportions: 5x5 depthwise kernels, squeeze-and-excitation gates (pooling, 1x1 Convs, HardSigmoid, a
        // broadcasting Mul), Relu and HardSwish blocks, a hidden Gemm with HardSwish in the head.
        var original = MobileNetV3SmallModel.Create(imageSize: 64, classes: 100);
        long[] shape = [1, 3, 64, 64];
        var calibration = RandomSamples(DepthwiseNetModel.Input, shape, count: 8, seed: 10);
        var heldOut = RandomSamples(DepthwiseNetModel.Input, shape, count: 4, seed: 99);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { CalibrationMethod = CalibrationMethod.Entropy })
            .Apply(original.Clone(), Context(calibration, out _));

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"cosine {cosine:F5}; ORT executes: {string.Join(", ", ops.GroupBy(o => o).Select(g => $"{g.Count()} {g.Key}"))}");
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        Assert.AreEqual(original.Graph.Node.Count(n => n.OpType == "Conv"), ops.Count(o => o == "QLinearConv"), "stem, expand, depthwise, project and gate Convs");
        Assert.AreEqual(original.Graph.Node.Count(n => n.OpType == "GlobalAveragePool"), ops.Count(o => o == "QLinearGlobalAveragePool"), "the gates' pooling and the head's");
        Assert.AreEqual(2, ops.Count(o => o == "QGemm"));
        foreach (var op in new[] { "Conv", "Clip", "HardSigmoid", "HardSwish", "Mul", "Add", "Gemm", "GlobalAveragePool", "DequantizeLinear" })
        {
            CollectionAssert.DoesNotContain(ops, op, $"no float {op} remains");
        }
    }

    [TestMethod]
    [DataRow("toy")]
    [DataRow("mobilenetv2-0.35")]
    public void Quantize_DepthwiseNet_FileHoldsInt8WeightsPerChannelParametersAndLittleElseAndKeepsCosineAbove099(string family)
    {
        var (original, shape) = family == "toy"
            ? (DepthwiseNetModel.Create(width: 32, imageSize: 32), new long[] { 1, 3, 32, 32 })
            : (MobileNetV2Model.Create(imageSize: 32, widthMultiplier: 0.35, classes: 10), new long[] { 1, 3, 32, 32 });
        var calibration = RandomSamples(DepthwiseNetModel.Input, shape, count: 4, seed: 10);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { BiasCorrection = false }).Apply(original.Clone(), Context(calibration, out _));

        // What QDQ INT8 cannot do without: one byte per weight, and per output channel a float scale, an int32 bias and
        // the bias's float scale. The rest is allowed 1400 bytes per layer: the QDQ nodes of its weight, bias and output
        // and their tensor names (the toy needs about 1300, so all-zero zero points or long names would break it).
        var layers = original.Graph.Node.Where(n => n.OpType is "Conv" or "Gemm").ToList();
        var initializers = original.Graph.Initializer.ToDictionary(i => i.Name);
        var weights = layers.Sum(n => TensorValues.ElementCount(initializers[n.Input[1]].Dims));
        var channels = layers.Sum(n => initializers[n.Input[1]].Dims[0]);
        var bound = weights + (12 * channels) + (1400 * layers.Count);
        var size = Serialize(quantized).Length;
        var heldOut = RandomSamples(DepthwiseNetModel.Input, shape, count: 4, seed: 99);
        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        TestContext.WriteLine($"{family}: {weights} weights, {channels} channels, int8 file {size} bytes, bound {bound}, float file {Serialize(original).Length}, cosine {cosine:F5}");
        Assert.IsLessThanOrEqualTo(bound, (long)size);
        Assert.IsGreaterThanOrEqualTo(0.99, cosine, "small, and still the same network");

        var convWeightDequantizers = quantized.Graph.Node.Where(n => n.OpType == "DequantizeLinear"
            && quantized.Graph.Initializer.Any(i => i.Name == n.Input[0] && (DataType)i.DataType == DataType.Int8 && i.Dims.Count == 4)).ToList();
        Assert.HasCount(layers.Count(n => n.OpType == "Conv"), convWeightDequantizers);
        Assert.IsTrue(convWeightDequantizers.All(n => n.Input.Count == 2), "symmetric Conv weights store no all-zero zero-point tensor");
    }

    [TestMethod]
    [DataRow("HardSigmoid", 0.2f, 0.5f)]
    [DataRow("HardSigmoid", 1f / 6, 0.5f)]
    [DataRow("HardSigmoid", 0.5f, -0.25f)]
    [DataRow("HardSwish", 1f / 6, 0.5f)]
    public void HardActivationDecomposition_ComputesTheSameFunction(string opType, float alpha, float beta)
    {
        var builder = new GraphBuilder("hs", new Random(1));
        builder.Graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 64));
        builder.Node(opType, ["x"], "y", "gate", opType == "HardSwish" ? [] : [Attributes.Float("alpha", alpha), Attributes.Float("beta", beta)]);
        builder.Graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 64));
        var original = builder.Model(opType == "HardSwish" ? 14 : 13);
        var samples = RandomSamples("x", [4, 64], count: 2, seed: 3);
        for (var i = 0; i < samples.Samples.Count; i++)
        {
            // Inputs across the whole curve, both flat parts included.
            var data = (float[])samples.Samples[i].Inputs[0].Data;
            for (var j = 0; j < data.Length; j++)
            {
                data[j] *= 4f / alpha;
            }
        }

        var rewritten = original.Clone();
        Assert.AreEqual(1, HardActivationDecomposition.Apply(rewritten, new QuantizationOptions()));

        var expectedOps = opType == "HardSwish" ? new[] { "Add", "Clip", "Mul", "Mul" } : ["Add", "Clip", "Mul"];
        CollectionAssert.AreEqual(expectedOps, rewritten.Graph.Node.Select(n => n.OpType).ToArray());
        var input = samples.Samples.SelectMany(s => (float[])s.Inputs[0].Data).ToArray();
        var expected = RunAll(original, samples);
        var actual = RunAll(rewritten, samples);
        var gates = opType == "HardSwish" ? expected.Zip(input, (y, x) => x == 0f ? 0.5f : y / x).ToArray() : expected;
        Assert.IsTrue(gates.Any(v => v == 0f) && gates.Any(v => v == 1f) && gates.Any(v => v is > 0.1f and < 0.9f), "both flat parts and the slope are covered");
        // Relative to the output's magnitude: HardSwish passes x through, and x reaches ±60 here.
        Assert.IsLessThanOrEqualTo(1e-6f, expected.Zip(actual, (a, b) => MathF.Abs(a - b) / MathF.Max(1f, MathF.Abs(a))).Max());
    }

    [TestMethod]
    public void HardActivationDecomposition_LeavesExcludedNodesAlone()
    {
        var model = DepthwiseNetModel.Create();

        Assert.AreEqual(0, HardActivationDecomposition.Apply(model, new QuantizationOptions { ExcludeOpTypes = ["HardSigmoid"] }));
        Assert.AreEqual(1, HardActivationDecomposition.Apply(model, new QuantizationOptions { ExcludeNodeNames = ["block2.*"] }));
        Assert.AreEqual(2, model.Graph.Node.Count(n => n.OpType == "HardSigmoid"), "only the last HardSwish's gate is rewritten");
    }

    [TestMethod]
    public void Quantize_DivisionByPositiveConstant_BecomesADequantizeScaleNotANode()
    {
        // Conv → Relu → Div by 6 (a Constant node, as exporters write it) → Conv → Mul by -2 (stays: a negative scale is no scale).
        var builder = new GraphBuilder("net", new Random(2));
        builder.Graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 8, 8, 8));
        var relu = builder.Node("Relu", [builder.Node("Conv", ["x", builder.Weight("w1", [8, 8, 1, 1], 0.5f)], name: "conv1")]);
        var divided = builder.Node("Div", [relu, builder.Scalar("six", 6f)], "divided", "div");
        var conv2 = builder.Node("Conv", [divided, builder.Weight("w2", [8, 8, 1, 1], 0.5f)], name: "conv2");
        builder.Node("Mul", [conv2, builder.Scalar("minus_two", -2f)], "y", "negate");
        builder.Graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 8, 8, 8));
        var original = builder.Model(13);
        long[] shape = [2, 8, 8, 8];
        var calibration = RandomSamples("x", shape, count: 4, seed: 10);
        var heldOut = RandomSamples("x", shape, count: 4, seed: 99);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { BiasCorrection = false }).Apply(original.Clone(), Context(calibration, out _));

        var graph = quantized.Graph;
        Assert.IsFalse(graph.Node.Any(n => n.OpType == "Div"));
        Assert.IsFalse(graph.Initializer.Any(i => i.Name == "six"), "the dropped node's constant goes with it");
        Assert.AreEqual("Mul", Nodes.Producer(graph, "y")!.OpType, "a negative factor keeps its node");
        var reluQuantize = graph.Node.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == relu);
        var readers = Nodes.Consumers(graph, reluQuantize.Output[0]).ToList();
        Assert.HasCount(1, readers, "the Relu's own DequantizeLinear is unread and dropped; the Div's alias reads its values");
        float Scale(NodeProto node) => TensorValues.ReadFloats(graph.Initializer.Single(i => i.Name == node.Input[1]))[0];
        Assert.AreEqual(Scale(reluQuantize) / 6f, Scale(readers[0]), Scale(reluQuantize) * 1e-6f);

        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        TestContext.WriteLine($"cosine {cosine:F5}; ORT executes: {string.Join(", ", ops)}");
        Assert.AreEqual(2, ops.Count(o => o == "QLinearConv"));
        CollectionAssert.DoesNotContain(ops, "Div");
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
    }
}
