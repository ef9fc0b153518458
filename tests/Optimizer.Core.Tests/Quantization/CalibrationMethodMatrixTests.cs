using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using static Optimizer.TestModels.ModelRuns;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>
/// Every calibration method on every model family the tests build: the static INT8 pass (bias correction included,
/// which measures input means in the calibration runs or in one more pass) must give a model ONNX Runtime runs and
/// that stays close to the float one. A broad net for the paths a single-family test does not reach (OutlierBranchModel
/// is left out: it is built to miss without the accuracy fallback, which AccuracyFallbackTests cover).
/// </summary>
[TestClass]
public sealed class CalibrationMethodMatrixTests
{
    private static readonly (string Name, Func<ModelProto> Build, string Input, long[] Shape, double MinCosine)[] Families =
    [
        ("convnet", () => ConvNetModel.Create(width: 8), ConvNetModel.Input, [2, 3, 16, 16], 0.999),
        ("resnet", () => ResidualNetModel.Create(width: 8, imageSize: 16), ResidualNetModel.Input, [1, 3, 16, 16], 0.999),
        ("depthwise-opset14", () => DepthwiseNetModel.Create(opset: 14, width: 8, imageSize: 16), DepthwiseNetModel.Input, [1, 3, 16, 16], 0.999),
        ("mobilenetv3", () => MobileNetV3SmallModel.Create(imageSize: 32, classes: 10), DepthwiseNetModel.Input, [1, 3, 32, 32], 0.99),
        ("biased-conv", () => BiasedConvModel.Create(), BiasedConvModel.Input, [2, 3, 16, 16], 0.99),
        ("decoder", () => DecoderModel.Create(), DecoderModel.Input, [1, DecoderModel.Channels, 8, 8], 0.99),
        ("transformer", () => TransformerBlockModel.Create(), TransformerBlockModel.Input, [2, 8, 32], 0.99),
        ("gemm-mlp", () => GemmMlpModel.Create(dim: 64), GemmMlpModel.Input, [16, 64], 0.99),
        ("audio", () => AudioFrontEndModel.Create(samples: 1024), AudioFrontEndModel.Input, [1, 1, 1024], 0.99),
        ("lstm", () => LstmModel.Create(), LstmModel.Input, [1, 6, 32], 0.99),
    ];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(CalibrationMethod.MinMax)]
    [DataRow(CalibrationMethod.Entropy)]
    [DataRow(CalibrationMethod.Percentile)]
    [DataRow(CalibrationMethod.Mse)]
    public void Quantize_EveryFamily_RunsInOrtAndStaysCloseToFloat(CalibrationMethod method)
    {
        foreach (var (name, build, input, shape, minCosine) in Families)
        {
            var calibration = RandomSamples(input, shape, count: 4, seed: 7);
            var heldOut = RandomSamples(input, shape, count: 2, seed: 8);
            var original = build();

            var quantized = new QdqQuantizationPass(new QuantizationOptions { CalibrationMethod = method }).Apply(original.Clone(), Context(calibration, out _));

            var cosine = Cosine(RunAll(original, heldOut), RunAll(quantized, heldOut));
            TestContext.WriteLine($"{method} {name}: cosine {cosine:F5}");
            Assert.IsGreaterThanOrEqualTo(minCosine, cosine, $"{method} on {name}");
            Assert.IsTrue(quantized.Graph.Node.Any(n => n.OpType == "DequantizeLinear") || name == "lstm", $"{method} on {name} quantized something");
        }
    }
}
