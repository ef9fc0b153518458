using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using static Optimizer.TestModels.ModelRuns;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>
/// Bias correction's shifts computed from the input means calibration measures (<see cref="WeightErrorShifts"/>) against
/// the ones the probe measures by running every quantized layer beside its float original (<see cref="LayerErrorProbe"/>):
/// on inputs whose mean is the same at every position they must agree, for every convolution geometry and dense layout.
/// </summary>
[TestClass]
public sealed class WeightErrorShiftsTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Of_ConvolutionsOfEveryGeometry_AgreeWithTheProbesMeasuredShifts() =>
        AssertAgreement(ConvolutionsOfEveryGeometry(lastChannelSpread: 0.1f, out var calibration), calibration, expectedLayers: 10);

    [TestMethod]
    public void Of_SamplesOfTwoSizes_AverageTheCoverageOfEach()
    {
        // Symbolic height and width, samples of 8x8 and 20x20: the border taps cover a different share of each.
        var model = ConvolutionsOfEveryGeometry(lastChannelSpread: 0.1f, out _);
        var input = model.Graph.Input[0].Type.TensorType.Shape;
        input.Dim[2] = new TensorShapeProto.Types.Dimension { DimParam = "height" };
        input.Dim[3] = new TensorShapeProto.Types.Dimension { DimParam = "width" };
        var small = RandomSamples("x", [2, 3, 8, 8], count: 4, seed: 23).Samples;
        var large = RandomSamples("x", [2, 3, 20, 20], count: 4, seed: 24).Samples.Select(s => s with { Id = s.Id + "-large" });
        var mixed = new CalibrationSet([.. small.Zip(large).SelectMany(p => new[] { p.First, p.Second })], IsSynthetic: true, Source: null);

        // Each sample counts by its positions, as in the probe's mean (a 20x20 sample 6 times an 8x8 one); counting
        // samples alike put the dilated layer 9% of its largest shift away.
        AssertAgreement(model, mixed, expectedLayers: 10, staticSizes: false);
    }

    [TestMethod]
    public void Of_ClippingCalibration_ClippedInputMeansAgreeWithTheProbesMeasuredShifts()
    {
        var model = ConvolutionsOfEveryGeometry(lastChannelSpread: 1f, out var calibration);
        ConstantHoisting.HoistAll(model);
        var correctable = BiasCorrection.Correctable(model);
        // 98th percentile ranges cut the tails of the widest channel: the int8 layers see a smaller mean there.
        var build = QdqModelBuilder.Build(model, new QuantizationOptions(), new CalibratedRanges(model, calibration, () => new PercentileEstimator(98)));
        var represented = build.Parameters.ToDictionary(p => p.Key, p => QuantizationParameters.Represented(p.Value, ActivationType.UInt8));
        var clipped = new LayerInputMeans(model, correctable, quantizedRanges: represented);
        clipped.Measure(model, calibration, new PhaseTimer());
        var unclipped = new LayerInputMeans(model, correctable, quantizedRanges: null);
        unclipped.Measure(model, calibration, new PhaseTimer());

        var measured = BiasCorrection.Shifts(model, LayerErrorProbe.Measure(model, build, calibration, new PhaseTimer()));
        var (withClipping, withoutClipping) = (WeightErrorShifts.Of(model, build, clipped), WeightErrorShifts.Of(model, build, unclipped));

        // The wide channel's border windows add sampling noise: up to 8% of the largest shift here.
        AssertClose(measured, withClipping, expectedLayers: 10, tolerance: 0.1f);
        var missed = measured.Max(m => m.Value.Zip(withoutClipping[m.Key], (e, a) => MathF.Abs(e - a)).Max() / m.Value.Max(MathF.Abs));
        TestContext.WriteLine($"without the clipping, the worst layer is off by {missed:P0} of its largest shift");
        Assert.IsGreaterThan(0.5f, missed, "the clipping moves the shifts: leaving it out would not match the probe");
    }

    /// <summary>
    /// Ten convolutions reading one input (a batch of two, so calibration averages the channel means of both entries):
    /// pads, asymmetric pads with stride, dilation, SAME_UPPER/LOWER, depthwise, pointwise, and ConvTranspose with
    /// output_padding, SAME_UPPER and groups.
    /// </summary>
    private static ModelProto ConvolutionsOfEveryGeometry(float lastChannelSpread, out CalibrationSet calibration)
    {
        var b = Builder("convs", [2, 3, 12, 12], out var x, lastChannelSpread);
        var kernel = Attributes.Ints("kernel_shape", 3, 3);
        Branch(b, "Conv", x, [8, 3, 3, 3], "padded", Attributes.Ints("pads", 1, 1, 1, 1));
        Branch(b, "Conv", x, [8, 3, 3, 3], "strided_asymmetric", Attributes.Ints("strides", 2, 2), Attributes.Ints("pads", 1, 0, 0, 1));
        Branch(b, "Conv", x, [8, 3, 3, 3], "dilated", Attributes.Ints("dilations", 2, 2), Attributes.Ints("pads", 2, 2, 2, 2));
        Branch(b, "Conv", x, [8, 3, 3, 3], "same_upper", Attributes.String("auto_pad", "SAME_UPPER"), Attributes.Ints("strides", 2, 2), kernel);
        Branch(b, "Conv", x, [8, 3, 3, 3], "same_lower", Attributes.String("auto_pad", "SAME_LOWER"), Attributes.Ints("strides", 2, 2), kernel);
        Branch(b, "Conv", x, [6, 1, 3, 3], "depthwise", Attributes.Int("group", 3), Attributes.Ints("pads", 1, 1, 1, 1));
        Branch(b, "Conv", x, [8, 3, 1, 1], "pointwise");
        Branch(b, "ConvTranspose", x, [3, 4, 3, 3], "transposed", Attributes.Ints("strides", 2, 2), Attributes.Ints("pads", 1, 1, 1, 1), Attributes.Ints("output_padding", 1, 1));
        Branch(b, "ConvTranspose", x, [3, 4, 3, 3], "transposed_same_upper", Attributes.Ints("strides", 2, 2), Attributes.String("auto_pad", "SAME_UPPER"), kernel);
        Branch(b, "ConvTranspose", x, [3, 2, 2, 2], "transposed_grouped", Attributes.Ints("strides", 2, 2), Attributes.Int("group", 3));
        calibration = RandomSamples("x", [2, 3, 12, 12], count: 8, seed: 21);
        return b.Model(13);
    }

    [TestMethod]
    [DataRow(13)]
    [DataRow(18)]
    public void Of_DenseLayersInEveryLayout_AgreeWithTheProbesMeasuredShifts(int opset)
    {
        // Opset 18 takes ReduceMean's axes as an input instead of an attribute.
        var b = Builder("dense", [32, 16], out var x);
        Branch(b, "Gemm", x, [8, 16], "gemm_transposed", Attributes.Int("transB", 1));
        Branch(b, "Gemm", x, [16, 8], "gemm");
        Branch(b, "Gemm", x, [32, 8], "gemm_transposed_input", Attributes.Int("transA", 1));
        var matMul = b.Node("MatMul", [x, b.Weight("linear.weight", [16, 8], 0.3f)], name: "linear");
        b.Graph.Output.Add(Nodes.TensorInfo(b.Node("Add", [matMul, b.Weight("linear.bias", [8], 0.1f)]), DataType.Float, 16, 8));

        AssertAgreement(b.Model(opset), RandomSamples("x", [32, 16], count: 8, seed: 22), expectedLayers: 4);
    }

    [TestMethod]
    public void Quantize_AnyCalibrationMethod_CorrectsFromInputMeansWhileTheFallbackUsesTheProbe()
    {
        var calibration = RandomSamples(BiasedConvModel.Input, [2, 3, 16, 16], count: 4, seed: 3);
        string Notes(QuantizationOptions options)
        {
            var context = Context(calibration, out _);
            new QdqQuantizationPass(options).Apply(BiasedConvModel.Create(), context);
            return string.Join(" | ", context.Notes);
        }

        const string FromMeans = "computed from their input means on 4 calibration sample(s)";
        StringAssert.Contains(Notes(new QuantizationOptions()), FromMeans);
        StringAssert.Contains(Notes(new QuantizationOptions { CalibrationMethod = CalibrationMethod.Percentile }), FromMeans);
        StringAssert.Contains(Notes(new QuantizationOptions { Budget = new QuantizationBudget { MinCosine = 0.5 } }), "by their mean output error on 4 calibration sample(s)");
    }

    [TestMethod]
    [DataRow(CalibrationMethod.MinMax)]
    [DataRow(CalibrationMethod.Percentile)]
    public void Quantize_NoLayerWithABias_MeasuresNoMeansAndStillQuantizes(CalibrationMethod method)
    {
        // One MatMul without a bias Add, reading the graph input: calibration measures only the input, from the samples
        // themselves, and bias correction has nothing to correct, so no session may be built for means of nothing.
        var b = new GraphBuilder("plain", new Random(3));
        b.Graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 16));
        b.Graph.Output.Add(Nodes.TensorInfo(b.Node("MatMul", ["x", b.Weight("w", [16, 8], 0.3f)], name: "linear"), DataType.Float, "batch", 8));
        var calibration = RandomSamples("x", [4, 16], count: 4, seed: 5);
        var context = Context(calibration, out _);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { CalibrationMethod = method }).Apply(b.Model(13), context);

        Assert.IsTrue(quantized.Graph.Node.Any(n => n.OpType == "DequantizeLinear"), string.Join(" | ", context.Notes));
        Assert.IsFalse(context.Notes.Any(n => n.StartsWith("bias correction", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Coverage_HandComputedGeometries_MatchTheOnnxShapeRules()
    {
        // 3x3, pads 1, 4x4 input: the outer taps miss one of four output rows (and columns).
        CollectionAssert.AreEqual(new[] { 0.5625, 0.75, 0.5625, 0.75, 1, 0.75, 0.5625, 0.75, 0.5625 },
            ConvolutionTaps.Coverage(Node("Conv", Attributes.Ints("pads", 1, 1, 1, 1)), [3, 3], [4, 4]));
        // 1-D, stride 2, pads 1, size 5: outputs read -1,1,3 / 0,2,4 / 1,3,5.
        CollectionAssert.AreEqual(new[] { 2 / 3.0, 1, 2 / 3.0 }, ConvolutionTaps.Coverage(Node("Conv", Attributes.Ints("strides", 2), Attributes.Ints("pads", 1, 1)), [3], [5]));
        // SAME with stride 2 on an even size pads one pixel: at the end (UPPER) or at the start (LOWER).
        CollectionAssert.AreEqual(new[] { 1, 1, 0.5 }, ConvolutionTaps.Coverage(Node("Conv", Attributes.String("auto_pad", "SAME_UPPER"), Attributes.Ints("strides", 2)), [3], [4]));
        CollectionAssert.AreEqual(new[] { 0.5, 1, 1 }, ConvolutionTaps.Coverage(Node("Conv", Attributes.String("auto_pad", "SAME_LOWER"), Attributes.Ints("strides", 2)), [3], [4]));
        // ConvTranspose, stride 2, pads 1, 3 inputs -> 5 outputs: inputs land on -1,1,3 / 0,2,4 / 1,3,5.
        CollectionAssert.AreEqual(new[] { 0.4, 0.6, 0.4 }, ConvolutionTaps.Coverage(Node("ConvTranspose", Attributes.Ints("strides", 2), Attributes.Ints("pads", 1, 1)), [3], [3]));
        Assert.IsNull(ConvolutionTaps.Coverage(Node("Conv"), [5], [3]), "a kernel larger than the unpadded input has no output");
    }

    /// <summary>Shape nodes the means add to measure input sizes (those of the pooled per-batch means not counted).</summary>
    private static int ShapeNodes(ModelProto model, LayerInputMeans means)
    {
        var copy = model.Clone();
        means.AddTo(copy, new UniqueNames(copy));
        var producers = copy.Graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        bool IsPooledMeans(string tensor) => producers.TryGetValue(tensor, out var reshape) && reshape.OpType == "Reshape"
            && producers.TryGetValue(reshape.Input[0], out var pool) && pool.OpType == "GlobalAveragePool";
        return copy.Graph.Node.Count(n => n.OpType == "Shape" && !IsPooledMeans(n.Input[0]));
    }

    private static NodeProto Node(string op, params AttributeProto[] attributes) => Nodes.Create(op, "n", ["x", "w"], ["y"], attributes);

    /// <summary>
    /// An input with a different mean per channel (the Add), the same at every position: what the formula assumes. Its
    /// spread is small next to the means (the Mul), so the input's own rounding error, which the probe also measures,
    /// stays small next to the weights' share, except for the last channel's when <paramref name="lastChannelSpread"/>
    /// widens it for clipping ranges to cut.
    /// </summary>
    private static GraphBuilder Builder(string name, long[] shape, out string x, float lastChannelSpread = 0.1f)
    {
        var b = new GraphBuilder(name, new Random(7));
        b.Graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, [.. shape.Cast<object>()]));
        var offsets = shape.Length == 4 ? new long[] { 1, shape[1], 1, 1 } : [1, shape[1]];
        var spreads = Enumerable.Range(0, (int)offsets[1]).Select(c => c == offsets[1] - 1 ? lastChannelSpread : 0.1f).ToArray();
        x = b.Node("Add", [b.Node("Mul", ["x", b.Constant("spread", offsets, spreads)]), b.Constant("offsets", offsets, Enumerable.Range(0, (int)offsets[1]).Select(c => 0.5f + (0.25f * c)).ToArray())]);
        return b;
    }

    private static void Branch(GraphBuilder b, string op, string x, long[] weight, string name, params AttributeProto[] attributes)
    {
        var channels = op == "ConvTranspose" ? weight[1] * Attributes.GetInt(Nodes.Create(op, "", [], [], attributes), "group", 1) : weight[0];
        if (op == "Gemm")
        {
            channels = Attributes.GetInt(Nodes.Create(op, "", [], [], attributes), "transB", 0) != 0 ? weight[0] : weight[1];
        }

        var w = b.Constant($"{name}.weight", weight, RandomValues.Gaussian(new Random(name.Length), (int)TensorValues.ElementCount(weight), 0.3f));
        var output = b.Node(op, [x, w, b.Weight($"{name}.bias", [channels], 0.1f)], name: name, attributes: attributes);
        b.Graph.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } } });
    }

    private void AssertAgreement(ModelProto model, CalibrationSet calibration, int expectedLayers, bool staticSizes = true)
    {
        ConstantHoisting.HoistAll(model);
        var correctable = BiasCorrection.Correctable(model);
        var means = new LayerInputMeans(model, correctable);
        var ranges = new CalibratedRanges(model, calibration, () => new MinMaxEstimator(), statistics: means);
        var build = QdqModelBuilder.Build(model, new QuantizationOptions(), ranges);

        var analytic = WeightErrorShifts.Of(model, build, means);
        if (staticSizes)
        {
            // With the sizes the graph gives, no Shape is measured, and the coverage, hence every shift, is the same.
            var sizes = SpatialSizes.Of(model, new Dictionary<string, long[]> { ["x"] = calibration.Samples[0].Inputs[0].Shape });
            var staticMeans = new LayerInputMeans(model, correctable, sizes);
            var staticBuild = QdqModelBuilder.Build(model, new QuantizationOptions(), new CalibratedRanges(model, calibration, () => new MinMaxEstimator(), statistics: staticMeans));
            var staticShifts = WeightErrorShifts.Of(model, staticBuild, staticMeans);
            Assert.AreEqual(0, ShapeNodes(model, staticMeans), "no input size is measured when the graph gives them all");
            Assert.AreEqual(1, ShapeNodes(model, new LayerInputMeans(model, correctable)), "otherwise the shared input's size is measured, once");
            foreach (var (layer, shift) in analytic)
            {
                CollectionAssert.AreEqual(shift, staticShifts[layer], $"{layer}: sizes from the graph give the measured sizes' shifts");
            }
        }

        var plain = QdqModelBuilder.Build(model, new QuantizationOptions(), new CalibratedRanges(model, calibration, () => new MinMaxEstimator()));
        CollectionAssert.AreEqual(Serialize(plain.Model), Serialize(build.Model), "the means ride along without changing what calibration measures");
        var measured = BiasCorrection.Shifts(model, LayerErrorProbe.Measure(model, build, calibration, new PhaseTimer()));
        AssertClose(measured, analytic, expectedLayers, tolerance: 0.05f);
    }

    private void AssertClose(Dictionary<string, float[]> measured, Dictionary<string, float[]> analytic, int expectedLayers, float tolerance)
    {
        CollectionAssert.AreEquivalent(measured.Keys, analytic.Keys, "every layer the probe corrects is corrected from its input means");
        Assert.HasCount(expectedLayers, analytic);
        foreach (var (layer, expected) in measured)
        {
            var actual = analytic[layer];
            var largest = expected.Max(MathF.Abs);
            var worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
            TestContext.WriteLine($"{layer}: largest measured shift {largest:E2}, largest difference {worst:E2}");
            Assert.IsGreaterThan(1e-4f, largest, $"{layer}: the weights' rounding shifts the mean output measurably");
            // What is left is the input's own rounding error and sampling noise, a few percent of the shift.
            Assert.IsLessThan(tolerance * largest, worst, $"{layer}: shifts from input means match the measured ones");
        }
    }
}
