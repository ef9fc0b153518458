using Optimizer.Core.Calibration;
using Optimizer.Core.Passes.Quantization;

namespace Optimizer.Core.Tests.Quantization;

[TestClass]
public sealed class RangeEstimationTests
{
    [TestMethod]
    public void MinMax_StreamsOverSamples_AndIgnoresNonFiniteValues()
    {
        var estimator = new MinMaxEstimator();

        estimator.Observe("t", [1f, 2f, float.NaN]);
        estimator.Observe("t", [-3f, float.PositiveInfinity, 0.5f]);
        estimator.Observe("empty", []);

        Assert.AreEqual(new TensorRange(-3f, 2f), estimator.Ranges()["t"]);
        Assert.AreEqual(new TensorRange(0f, 0f), estimator.Ranges()["empty"]);
    }

    [TestMethod]
    public void Percentile_ClipsRareOutliers_ButKeepsTheBulk()
    {
        var estimator = new PercentileEstimator(99.9);
        var random = new Random(1);
        for (var sample = 0; sample < 10; sample++)
        {
            var values = Enumerable.Range(0, 1000).Select(_ => (float)random.NextDouble() * 2f - 1f).ToArray();
            values[0] = sample == 9 ? 1000f : values[0];
            estimator.Observe("t", values);
        }

        var range = estimator.Ranges()["t"];

        Assert.IsLessThan(1.1f, range.Max, "one outlier in 10000 values must not stretch the range");
        Assert.IsGreaterThan(0.9f, range.Max);
        Assert.IsLessThan(-0.9f, range.Min);
    }

    [TestMethod]
    public void ActivationParameters_ReluOutput_HasZeroPointAtTypeMinimum()
    {
        var uint8 = QuantizationParameters.ForActivation(new TensorRange(0f, 6f), ActivationType.UInt8);
        var int8 = QuantizationParameters.ForActivation(new TensorRange(0f, 6f), ActivationType.Int8);
        var positive = QuantizationParameters.ForActivation(new TensorRange(2f, 6f), ActivationType.UInt8);
        var zeros = QuantizationParameters.ForActivation(new TensorRange(0f, 0f), ActivationType.UInt8);

        Assert.AreEqual(new QuantParams(6f / 255, 0), uint8);
        Assert.AreEqual(-128, int8.ZeroPoint);
        Assert.AreEqual(0, positive.ZeroPoint, "the range always includes 0");
        Assert.AreEqual(new QuantParams(1f, 0), zeros);
    }

    [TestMethod]
    public void WeightQuantizer_AllZeroChannel_GetsTinyScaleAndExactBias()
    {
        // Two output channels of 3 weights: the second is all zero but has a bias.
        float[] weights = [0.5f, -1f, 0.25f, 0f, 0f, 0f];

        var quantized = WeightQuantizer.Quantize(weights, [2, 3], axis: 0, bias: [0.1f, 0.2f], inputScale: 0.02f);

        Assert.AreEqual(1f / 127, quantized.Scales[0], 1e-9f);
        Assert.IsTrue(quantized.Scales[1] > 0 && float.IsFinite(quantized.Scales[1]));
        CollectionAssert.AreEqual(new sbyte[] { 64, -127, 32, 0, 0, 0 }, quantized.Values);
        for (var c = 0; c < 2; c++)
        {
            var restored = quantized.Bias![c] * quantized.BiasScales![c];
            Assert.AreEqual(c == 0 ? 0.1f : 0.2f, restored, 1e-3f, "bias survives even where the weight scale is tiny");
        }
    }

    [TestMethod]
    public void WeightQuantizer_LastAxis_ScalesEachColumn()
    {
        // [2, 2] MatMul weight, per column: column 0 max 4, column 1 max 0.5.
        var quantized = WeightQuantizer.Quantize([4f, 0.5f, -2f, 0.25f], [2, 2], axis: 1, bias: null, inputScale: 1f);

        Assert.AreEqual(4f / 127, quantized.Scales[0], 1e-7f);
        Assert.AreEqual(0.5f / 127, quantized.Scales[1], 1e-7f);
        CollectionAssert.AreEqual(new sbyte[] { 127, 127, -64, 64 }, quantized.Values);
    }
}
