using Optimizer.Core.Calibration;
using Optimizer.Core.Passes.Quantization;

namespace Optimizer.Core.Tests.Quantization;

[TestClass]
public sealed class RangeEstimationTests
{
    public TestContext TestContext { get; set; } = null!;

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
    public void Entropy_GaussianWithOutliers_ClipsTheOutliersAndKeepsTheBulk()
    {
        var estimator = new EntropyEstimator();
        var random = new Random(2);
        for (var sample = 0; sample < 20; sample++)
        {
            var values = Gaussian(random, 2000);
            values[0] = sample % 5 == 0 ? 40f : values[0];
            estimator.Observe("t", values);
        }

        var range = estimator.Ranges()["t"];

        TestContext.WriteLine($"entropy: [{range.Min:F3}, {range.Max:F3}]");
        Assert.IsLessThan(10f, range.Max, "four outliers in 40000 values must not set the range");
        Assert.IsGreaterThan(2.5f, range.Max, "the bulk of a unit Gaussian (|x| < 2.5) stays representable");
        Assert.IsLessThan(-2.5f, range.Min);
    }

    [TestMethod]
    public void Entropy_SaturatingRelu6_KeepsItsBound()
    {
        var estimator = new EntropyEstimator();
        var random = new Random(5);
        for (var sample = 0; sample < 20; sample++)
        {
            // Relu6 of N(2, 2): 16% of the values are 0 and 2.3% pile up at 6, as in MobileNet's expansion layers.
            estimator.Observe("relu6", Gaussian(random, 2000).Select(v => Math.Clamp(2f + (2f * v), 0f, 6f)).ToArray());
        }

        var range = estimator.Ranges()["relu6"];

        TestContext.WriteLine($"entropy: [{range.Min:F3}, {range.Max:F3}]");
        Assert.AreEqual(0f, range.Min);
        Assert.IsGreaterThanOrEqualTo(6f, range.Max, "cutting into the pile at 6 would clip 2.3% of the values");
        Assert.IsLessThan(6.1f, range.Max);
    }

    [TestMethod]
    public void Entropy_RunningSumsDivergence_EqualsTheBinByBinDefinition()
    {
        var random = new Random(6);
        for (var trial = 0; trial < 40; trial++)
        {
            // Sparse, spiky histograms: empty bins inside levels, an empty last bin, a long thin tail.
            var used = random.Next(40, 600);
            var histogram = new long[MagnitudeHistogram.Bins];
            for (var i = 0; i < used; i++)
            {
                histogram[i] = random.Next(4) == 0 ? 0 : (long)(1000 * Math.Exp(-6.0 * i / used) * random.NextDouble());
            }

            histogram[used - 1] = Math.Max(1, histogram[used - 1]);
            var levels = random.Next(1, used / 2);
            var sums = new EntropyEstimator.RunningSums(histogram, used);
            foreach (var bins in new[] { levels, (levels + used) / 2, used - 1, used })
            {
                var expected = ReferenceDivergence(histogram, bins, used, levels);
                var actual = sums.Divergence(bins, levels);
                Assert.AreEqual(expected, actual, 1e-9 * Math.Max(1, Math.Abs(expected)), $"trial {trial}: {bins} bins, {levels} levels");
            }
        }
    }

    [TestMethod]
    public void Mse_HeavyTailedValues_ClipsTheTailAndBeatsMinMaxOnSquaredError()
    {
        var estimator = new MseEstimator();
        var random = new Random(2);
        var all = new List<float>();
        for (var sample = 0; sample < 20; sample++)
        {
            // Cubed Gaussians: a dense bulk near zero and a long, thin tail, like attention or GELU outputs.
            var values = Gaussian(random, 2000).Select(v => v * v * v).ToArray();
            estimator.Observe("t", values);
            all.AddRange(values);
        }

        var range = estimator.Ranges()["t"];
        var minMax = new TensorRange(all.Min(), all.Max());
        var chosenError = SquaredError(all, range);
        var minMaxError = SquaredError(all, minMax);

        TestContext.WriteLine($"mse: [{range.Min:F3}, {range.Max:F3}] error {chosenError:F2}; min/max [{minMax.Min:F3}, {minMax.Max:F3}] error {minMaxError:F2}");
        var bestShrunk = Enumerable.Range(50, 51).Min(percent => SquaredError(all, new TensorRange(minMax.Min * percent / 100f, minMax.Max * percent / 100f)));
        Assert.IsLessThan(0.95f * minMax.Max, range.Max, "the thin tail is clipped");
        Assert.IsLessThan(minMaxError, chosenError, "the data quantizes with less squared error than with min/max");
        Assert.IsLessThan(bestShrunk * 1.02, chosenError, "and within 2% of the best range found by brute force on the raw values");
    }

    [TestMethod]
    [DataRow("entropy")]
    [DataRow("mse")]
    public void HistogramMethods_NonNegativeValues_KeepZeroAsTheFloor(string method)
    {
        IRangeEstimator estimator = method == "entropy" ? new EntropyEstimator() : new MseEstimator();
        var random = new Random(3);
        estimator.Observe("relu", Gaussian(random, 5000).Select(v => MathF.Max(v, 0f)).ToArray());
        estimator.Observe("zeros", new float[16]);
        estimator.Observe("nan", [float.NaN]);

        var ranges = estimator.Ranges();

        Assert.AreEqual(0f, ranges["relu"].Min);
        Assert.IsGreaterThan(1.5f, ranges["relu"].Max, "the bulk of a rectified unit Gaussian stays representable");
        Assert.AreEqual(new TensorRange(0f, 0f), ranges["zeros"]);
        Assert.AreEqual(new TensorRange(0f, 0f), ranges["nan"]);
    }

    [TestMethod]
    public void MagnitudeHistogram_MemoryIsConstant_AndSampleOrderDoesNotMatter()
    {
        var random = new Random(4);
        var samples = Enumerable.Range(0, 50).Select(s => Gaussian(random, 500).Select(v => v * (1 + s)).ToArray()).ToList();
        var forward = new MagnitudeHistogram();
        var backward = new MagnitudeHistogram();

        samples.ForEach(s => forward.Observe(s));
        Enumerable.Reverse(samples).ToList().ForEach(s => backward.Observe(s));

        Assert.HasCount(MagnitudeHistogram.Bins, forward.Positive, "bins never grow with the number of samples");
        Assert.AreEqual(samples.Sum(s => s.Length), forward.Positive.Sum() + forward.Negative.Sum());
        Assert.AreEqual(forward.Edge, backward.Edge);
        // Power-of-two edges make binning exact in float, so merging bins pairwise loses nothing to arrival order.
        CollectionAssert.AreEqual(forward.Positive, backward.Positive);
        CollectionAssert.AreEqual(forward.Negative, backward.Negative);
    }

    [TestMethod]
    public void MagnitudeHistogram_SimdBinning_MatchesTheElementWiseFormula()
    {
        // Long enough for several SIMD chunks and a ragged tail; signed zeros, the edge itself, NaN and infinities included.
        var random = new Random(5);
        var values = Gaussian(random, 5000).Select(v => v * 3f).ToArray();
        (values[0], values[1], values[2], values[3], values[4], values[5]) = (-0f, 0f, float.NaN, float.NegativeInfinity, float.PositiveInfinity, -16f);
        var histogram = new MagnitudeHistogram();

        histogram.Observe(values);

        var positive = new long[MagnitudeHistogram.Bins];
        var negative = new long[MagnitudeHistogram.Bins];
        foreach (var v in values.Where(float.IsFinite))
        {
            (v >= 0 ? positive : negative)[Math.Min((int)(MathF.Abs(v) * (MagnitudeHistogram.Bins / histogram.Edge)), MagnitudeHistogram.Bins - 1)]++;
        }

        Assert.AreEqual(16f, histogram.Edge, "-16 sets the edge and lands in the last bin");
        CollectionAssert.AreEqual(positive, histogram.Positive, "-0 counts as positive, like +0");
        CollectionAssert.AreEqual(negative, histogram.Negative);
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

    private static float[] Gaussian(Random random, int count) =>
        Optimizer.Core.Onnx.TensorValues.ReadFloats(Optimizer.TestModels.ConvNetModel.RandomTensor(random, "g", [count], 1f));

    /// <summary>Total squared error of uint8 quantize-dequantize over <paramref name="range"/>.</summary>
    /// <summary>KL(P‖Q) computed bin by bin, as TensorRT's calibrator defines it: the oracle for the running sums.</summary>
    private static double ReferenceDivergence(long[] histogram, int bins, int used, int levels)
    {
        var reference = new double[bins];
        var quantized = new double[bins];
        for (var i = 0; i < bins; i++)
        {
            reference[i] = histogram[i];
        }

        for (var i = bins; i < used; i++)
        {
            reference[bins - 1] += histogram[i];
        }

        for (var level = 0; level < levels; level++)
        {
            var (start, end) = ((int)((long)level * bins / levels), (int)((long)(level + 1) * bins / levels));
            var count = histogram[start..end].Sum();
            var nonEmpty = histogram[start..end].Count(c => c > 0);
            for (var i = start; i < end; i++)
            {
                quantized[i] = histogram[i] > 0 ? count / (double)nonEmpty : 0;
            }
        }

        var (referenceTotal, quantizedTotal) = (reference.Sum(), quantized.Sum());
        return reference.Select((r, i) => r > 0 ? r / referenceTotal * Math.Log(r / referenceTotal / Math.Max(quantized[i] / quantizedTotal, 1e-10)) : 0).Sum();
    }

    private static double SquaredError(IEnumerable<float> values, TensorRange range)
    {
        var p = QuantizationParameters.ForActivation(range, ActivationType.UInt8);
        return values.Sum(v => Math.Pow(v - ((QuantizationParameters.Quantize(v, p.Scale, p.ZeroPoint, 0, 255) - p.ZeroPoint) * p.Scale), 2));
    }
}
