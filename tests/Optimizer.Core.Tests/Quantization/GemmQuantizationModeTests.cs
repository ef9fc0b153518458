using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using static Optimizer.TestModels.ModelRuns;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>
/// Gemm layers (Linear/classifier heads of opset-11 exports) in the dynamic and weight-only int4 modes: they become
/// ORT's DynamicQuantizeMatMul / MatMulNBits with transB, alpha and beta folded offline, and every output stays within
/// the error the stored scales allow.
/// </summary>
[TestClass]
public sealed class GemmQuantizationModeTests
{
    private const int Batch = 4;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(true, 1f, 1f, new long[] { GemmLayerModel.N })]
    [DataRow(false, 0.5f, 2f, new long[] { 1, GemmLayerModel.N })]
    [DataRow(true, 1.5f, 1f, null)]
    public void Quantize_DynamicGemm_RunsDynamicQuantizeMatMulWithinTheScaleBound(bool transB, float alpha, float beta, long[]? bias)
    {
        var original = GemmLayerModel.Create(transB, alpha, beta, bias);
        var samples = RandomSamples(GemmLayerModel.Input, [Batch, GemmLayerModel.K], count: 3, seed: 7);
        var context = Context(samples, out _);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { Mode = QuantizationMode.Dynamic }).Apply(original.Clone(), context);

        var kernel = quantized.Graph.Node.Single(n => n.OpType != "Constant");
        Assert.AreEqual("DynamicQuantizeMatMul", kernel.OpType);
        Assert.AreEqual("com.microsoft", kernel.Domain);
        Assert.AreEqual(bias is null ? 3 : 5, kernel.Input.Count, "A, B, b_scale (, no zero point, bias)");
        CollectionAssert.Contains(OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, samples), "DynamicQuantizeMatMul");
        StringAssert.Contains(context.Notes[^1], "0 MatMul(s), 1 Gemm(s) (1 weight tensor(s))");

        var weightScales = TensorValues.ReadFloats(Initializer(quantized, kernel.Input[2]));
        var weight = EffectiveWeight(original, transB, alpha);
        var worst = WorstBoundRatio(original, quantized, samples, (x, m, n) =>
        {
            // DynamicQuantizeLinear: one uint8 scale over the whole input tensor, its range widened to include 0.
            var inputScale = (Math.Max(0f, x.Max()) - Math.Min(0f, x.Min())) / 255f;
            var bound = 0.0;
            for (var k = 0; k < GemmLayerModel.K; k++)
            {
                var (a, w) = (Math.Abs(x[(m * GemmLayerModel.K) + k]), Math.Abs(weight[(k * GemmLayerModel.N) + n]));
                bound += (a * weightScales[n] / 2) + (w * inputScale / 2) + (inputScale * weightScales[n] / 4);
            }

            return bound;
        });
        TestContext.WriteLine($"transB={transB} alpha={alpha} beta={beta} bias={(bias is null ? "none" : string.Join("x", bias))}: worst error / bound {worst:F3}, {SizeRatio(original, quantized)}");
        Assert.IsLessThanOrEqualTo(1.0, worst);
        // One byte per weight, a float scale per column, and the bias as [N] floats.
        AssertWeightBytes(original, quantized, (GemmLayerModel.K * GemmLayerModel.N) + (2 * 4 * GemmLayerModel.N));
    }

    [TestMethod]
    [DataRow(true, 1f, 1f, new long[] { GemmLayerModel.N }, false)]
    [DataRow(false, 0.5f, 2f, new long[] { 1, GemmLayerModel.N }, true)]
    [DataRow(true, 1f, 1f, null, false)]
    [DataRow(false, 1f, 3f, new long[] { 1 }, true)]
    public void Quantize_WeightOnlyInt4Gemm_RunsMatMulNBitsWithBiasWithinTheBlockBound(bool transB, float alpha, float beta, long[]? bias, bool symmetric)
    {
        const int blockSize = 32;
        var original = GemmLayerModel.Create(transB, alpha, beta, bias);
        var samples = RandomSamples(GemmLayerModel.Input, [Batch, GemmLayerModel.K], count: 3, seed: 8);
        var options = new QuantizationOptions { Mode = QuantizationMode.WeightOnlyInt4, BlockSize = blockSize, Int4Symmetric = symmetric };

        var quantized = new QdqQuantizationPass(options).Apply(original.Clone(), Context(samples, out _));

        var kernel = quantized.Graph.Node.Single(n => n.OpType != "Constant");
        Assert.AreEqual("MatMulNBits", kernel.OpType);
        Assert.AreEqual(bias is null ? (symmetric ? 3 : 4) : 6, kernel.Input.Count, "bias is MatMulNBits' input 5");
        Assert.IsFalse(kernel.Attribute.Any(a => a.Name is "transB" or "alpha" or "beta"), "Gemm's attributes are folded, not carried over");
        CollectionAssert.Contains(OptimizedOpTypes(quantized, TestContext.TestRunResultsDirectory!, samples), "MatMulNBits");

        const int blocks = GemmLayerModel.K / blockSize;
        var scales = TensorValues.ReadFloats(Initializer(quantized, kernel.Input[2]));
        var worst = WorstBoundRatio(original, quantized, samples, (x, m, n) =>
            Enumerable.Range(0, GemmLayerModel.K).Sum(k => Math.Abs(x[(m * GemmLayerModel.K) + k]) * scales[(n * blocks) + (k / blockSize)] / 2.0));
        TestContext.WriteLine($"transB={transB} alpha={alpha} beta={beta} symmetric={symmetric}: worst error / bound {worst:F3}, {SizeRatio(original, quantized)}");
        Assert.IsLessThanOrEqualTo(1.0, worst);
        // Half a byte per weight, a float scale (and half a byte of zero point) per block, and the bias as [N] floats.
        AssertWeightBytes(original, quantized, (GemmLayerModel.K * GemmLayerModel.N / 2) + (blocks * GemmLayerModel.N * (symmetric ? 4 : 4.5)) + (4 * GemmLayerModel.N));
    }

    [TestMethod]
    [DataRow(QuantizationMode.Dynamic)]
    [DataRow(QuantizationMode.WeightOnlyInt4)]
    public void Quantize_GemmTheKernelsCannotExpress_StaysFloatWithAWarningNamingIt(QuantizationMode mode)
    {
        var transposedA = GemmLayerModel.Create(transB: true, bias: [GemmLayerModel.N], transA: true);
        var perRowBias = GemmLayerModel.Create(transB: true, bias: [Batch, 1]);

        foreach (var (original, reason, shape) in new[]
        {
            (transposedA, "has transA=1", new long[] { GemmLayerModel.K, Batch }),
            (perRowBias, "of shape [4, 1], which is not one value per output column", new long[] { Batch, GemmLayerModel.K }),
        })
        {
            var samples = RandomSamples(GemmLayerModel.Input, shape, count: 2, seed: 9);
            var context = Context(samples, out var sink);

            var quantized = new QdqQuantizationPass(new QuantizationOptions { Mode = mode }).Apply(original.Clone(), context);

            var warning = sink.Warnings.Single();
            TestContext.WriteLine(warning.Message);
            Assert.AreEqual(ErrorCodes.QuantizationGemmLeftFloat, warning.Code);
            StringAssert.Contains(warning.Message, $"'{GemmLayerModel.Node}' ");
            StringAssert.Contains(warning.Message, reason);
            Assert.AreEqual("Gemm", quantized.Graph.Node.Single(n => n.OpType != "Constant").OpType);
            CollectionAssert.AreEqual(RunAll(original, samples), RunAll(quantized, samples));
        }
    }

    /// <summary>
    /// The largest |quantized − float| / bound over every output element, where <paramref name="bound"/> gives the
    /// error the scales allow for row m, column n of a sample whose input values are x.
    /// </summary>
    private static double WorstBoundRatio(ModelProto original, ModelProto quantized, CalibrationSet samples, Func<float[], int, int, double> bound)
    {
        var worst = 0.0;
        foreach (var sample in samples.Samples)
        {
            var one = samples with { Samples = [sample] };
            var (expected, actual) = (RunAll(original, one), RunAll(quantized, one));
            var x = (float[])sample.Inputs[0].Data;
            for (var m = 0; m < Batch; m++)
            {
                for (var n = 0; n < GemmLayerModel.N; n++)
                {
                    var i = (m * GemmLayerModel.N) + n;
                    // 1e-5 relative: the float kernels' own summation-order differences.
                    worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / (bound(x, m, n) + (1e-5 * Math.Abs(expected[i])) + 1e-6));
                }
            }
        }

        return worst;
    }

    /// <summary>
    /// Asserts the quantized model is the original minus its float weight plus at most <paramref name="weightBytes"/>
    /// (and a few hundred bytes of new tensor names).
    /// </summary>
    private static void AssertWeightBytes(ModelProto original, ModelProto quantized, double weightBytes)
    {
        var expected = Serialize(original).Length - (4 * GemmLayerModel.K * GemmLayerModel.N) + weightBytes;
        Assert.IsLessThanOrEqualTo(expected + 400, Serialize(quantized).Length, SizeRatio(original, quantized));
    }

    private static string SizeRatio(ModelProto original, ModelProto quantized) =>
        FormattableString.Invariant($"size ratio {Serialize(quantized).Length / (double)Serialize(original).Length:F3}");

    /// <summary>alpha · B as [K, N], from the model's Constant node (transposed when B is stored [N, K]).</summary>
    private static float[] EffectiveWeight(ModelProto model, bool transB, float alpha)
    {
        var stored = TensorValues.ReadFloats(model.Graph.Node.Single(n => n.OpType == "Constant" && n.Output[0] == "head.weight").Attribute[0].T);
        const int k = GemmLayerModel.K, n = GemmLayerModel.N;
        return Enumerable.Range(0, k * n).Select(i => alpha * stored[transB ? (i % n * k) + (i / n) : i]).ToArray();
    }

    private static TensorProto Initializer(ModelProto model, string name) => model.Graph.Initializer.Single(i => i.Name == name);
}
