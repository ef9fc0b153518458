using Optimizer.Core.Onnx;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using static Optimizer.TestModels.ModelRuns;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>The modes besides static uint8 QDQ: reduced-range weights, symmetric int8 activations, dynamic and weight-only int4.</summary>
[TestClass]
public sealed class QuantizationModeTests
{
    private static readonly long[] ImageShape = [2, 3, 16, 16];
    private static readonly long[] TokenShape = [2, 8, 32];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Quantize_ReduceRange_StoresSevenBitWeightsThatOrtRuns()
    {
        var original = ConvNetModel.Create(width: 16);
        var calibration = RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 10);
        var heldOut = RandomSamples(ConvNetModel.Input, ImageShape, count: 2, seed: 11);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { ReduceRange = true }).Apply(original.Clone(), Context(calibration, out _));

        var weights = quantized.Graph.Initializer.Where(i => i.DataType == (int)DataType.Int8 && i.Dims.Count >= 2).ToList();
        Assert.HasCount(4, weights, "three Conv weights and the Gemm weight");
        foreach (var weight in weights)
        {
            var values = weight.RawData.Select(b => (int)(sbyte)b).ToList();
            Assert.AreEqual(64, values.Max(Math.Abs), $"{weight.Name} spans exactly -64..64");
        }

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        TestContext.WriteLine($"reduce_range cosine {cosine:F5}");
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        Assert.Contains("QLinearConv", OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration));
    }

    [TestMethod]
    public void Quantize_Int8SymmetricActivations_HaveZeroPointZeroAndOrtRunsThem()
    {
        var original = ConvNetModel.Create(width: 16);
        var calibration = RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 10);
        var heldOut = RandomSamples(ConvNetModel.Input, ImageShape, count: 2, seed: 11);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { ActivationType = ActivationType.Int8Symmetric })
            .Apply(original.Clone(), Context(calibration, out _));

        var initializers = quantized.Graph.Initializer.ToDictionary(i => i.Name);
        var quantizeNodes = quantized.Graph.Node.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.IsNotEmpty(quantizeNodes);
        foreach (var node in quantizeNodes)
        {
            var zeroPoint = initializers[node.Input[2]];
            Assert.AreEqual((int)DataType.Int8, zeroPoint.DataType);
            Assert.AreEqual(0, zeroPoint.RawData[0], $"{node.Name} is symmetric");
        }

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"int8 symmetric cosine {cosine:F5}; ORT executes: {string.Join(", ", ops)}");
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
    }

    [TestMethod]
    public void Quantize_DynamicTransformer_RunsDynamicQuantizeMatMulAndKeepsCosineAbove099()
    {
        var original = TransformerBlockModel.Create();
        var calibration = RandomSamples(TransformerBlockModel.Input, TokenShape, count: 2, seed: 10);
        var heldOut = RandomSamples(TransformerBlockModel.Input, TokenShape, count: 4, seed: 11);
        var context = Context(calibration, out _);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { Mode = QuantizationMode.Dynamic }).Apply(original.Clone(), context);

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"dynamic cosine {cosine:F5}; notes: {string.Join(" | ", context.Notes)}; ORT executes: {string.Join(", ", ops)}");
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        StringAssert.Contains(context.Notes[^1], "dynamic quantization: 6 MatMul(s), 0 Gemm(s) (6 weight tensor(s)) and 0 LSTM(s) with int8 weights");
        // Q, K and V share their input's DynamicQuantizeLinear (MatMulIntegerToFloat); the others quantize their own input.
        Assert.AreEqual(3, ops.Count(o => o == "MatMulIntegerToFloat"));
        Assert.AreEqual(3, ops.Count(o => o == "DynamicQuantizeMatMul"), "output and both MLP projections run as ORT's fused dynamic kernel");
        Assert.AreEqual(1, ops.Count(o => o == "DynamicQuantizeLinear"));
        Assert.AreEqual(2, ops.Count(o => o is "MatMul" or "FusedMatMul"), "the two activation x activation attention MatMuls stay float");
    }

    [TestMethod]
    public void Quantize_DynamicLstm_RunsDynamicQuantizeLstmAndKeepsCosineAbove099()
    {
        var original = LstmModel.Create();
        long[] shape = [2, 12, 32];
        var calibration = RandomSamples(LstmModel.Input, shape, count: 2, seed: 10);
        var heldOut = RandomSamples(LstmModel.Input, shape, count: 4, seed: 11);
        var context = Context(calibration, out _);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { Mode = QuantizationMode.Dynamic }).Apply(original.Clone(), context);

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"dynamic LSTM cosine {cosine:F5}; notes: {string.Join(" | ", context.Notes)}; ORT executes: {string.Join(", ", ops)}");
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        Assert.Contains("DynamicQuantizeLSTM", ops);
        Assert.IsFalse(ops.Contains("LSTM"));
        Assert.AreEqual(2, ops.Count(o => o is "DynamicQuantizeMatMul" or "MatMulIntegerToFloat"), "the input projection and the head");
    }

    [TestMethod]
    [DataRow(32, false)]
    [DataRow(16, true)]
    public void Quantize_WeightOnlyInt4_RunsMatMulNBitsWithinTheBlockRoundingBound(int blockSize, bool symmetric)
    {
        var original = TransformerBlockModel.Create();
        var calibration = RandomSamples(TransformerBlockModel.Input, TokenShape, count: 2, seed: 10);
        var heldOut = RandomSamples(TransformerBlockModel.Input, TokenShape, count: 4, seed: 11);
        var options = new QuantizationOptions { Mode = QuantizationMode.WeightOnlyInt4, BlockSize = blockSize, Int4Symmetric = symmetric };

        var quantized = new QdqQuantizationPass(options).Apply(original.Clone(), Context(calibration, out _));

        var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
        var ops = OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, calibration);
        TestContext.WriteLine($"int4 block {blockSize} symmetric={symmetric}: cosine {cosine:F5}; ORT executes: {string.Join(", ", ops)}");
        Assert.AreEqual(6, ops.Count(o => o == "MatMulNBits"));
        Assert.IsGreaterThanOrEqualTo(0.98, cosine);
        Assert.AreEqual(symmetric ? 0 : 6, quantized.Graph.Node.Count(n => n.OpType == "MatMulNBits" && n.Input.Count == 4), "zero points only when asymmetric");
        Assert.IsLessThan(0.2 * Serialize(original).Length, Serialize(quantized).Length - NonMatMulBytes(original), "4-bit weights with one scale per block");
    }

    [TestMethod]
    public void Int4Packing_DequantizesEveryWeightWithinHalfAStepOfItsBlock()
    {
        var random = new Random(3);
        const int k = 40, n = 3, blockSize = 16;
        var weights = RandomValues.Gaussian(random, k * n, 1f);

        var (codes, scales, zeroPoints) = Int4WeightQuantizer.Quantize(weights, k, n, blockSize, symmetric: false);

        const int blocks = 3;
        Assert.HasCount(n * blocks * blockSize / 2, codes);
        for (var column = 0; column < n; column++)
        {
            for (var row = 0; row < k; row++)
            {
                var block = row / blockSize;
                var j = row % blockSize;
                var code = (codes[(((column * blocks) + block) * blockSize / 2) + (j / 2)] >> (4 * (j % 2))) & 0xF;
                var zeroPoint = (zeroPoints![(column * 2) + (block / 2)] >> (4 * (block % 2))) & 0xF;
                var scale = scales[(column * blocks) + block];
                Assert.AreEqual(weights[(row * n) + column], (code - zeroPoint) * scale, (scale / 2) + 1e-6f);
            }
        }
    }

    /// <summary>Serialized bytes of everything but the MatMul weights (LayerNorm parameters, biases, graph structure).</summary>
    private static long NonMatMulBytes(Core.Onnx.Proto.ModelProto model)
    {
        var matMulWeights = model.Graph.Node.Where(n => n.OpType == "MatMul").Select(n => n.Input[1]).ToHashSet();
        return Serialize(model).Length - model.Graph.Initializer.Where(i => matMulWeights.Contains(i.Name)).Sum(i => (long)i.RawData.Length);
    }
}
