using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

[TestClass]
public sealed class ActivationCollectorTests
{
    [TestMethod]
    public void Collect_MinMaxInsideOrt_MatchesMinMaxOverEveryCopiedValue()
    {
        var model = ResidualNetModel.Create(width: 8);
        var tensors = model.Graph.Node.Where(n => n.OpType is "Relu" or "Add" or "Gemm").Select(n => n.Output[0]).ToList();
        var calibration = RandomSamples(ResidualNetModel.Input, [2, 3, 32, 32], count: 3, seed: 4);

        var inside = ActivationCollector.Collect(model, tensors, calibration, new MinMaxEstimator());
        var copied = ActivationCollector.Collect(model, tensors, calibration, new EveryValue(new MinMaxEstimator()));

        Assert.HasCount(tensors.Count, inside);
        foreach (var tensor in tensors)
        {
            Assert.AreEqual(copied[tensor], inside[tensor], tensor);
        }
    }

    [TestMethod]
    public void Collect_MinMaxInsideOrt_IgnoresInfinitiesLikeAnAttentionMask()
    {
        // scores = x + mask, where the mask holds -inf for masked positions, as attention exports write it.
        var b = new GraphBuilder("masked", new Random(1));
        b.Graph.Input.Add(Nodes.TensorInfo("x", Core.Onnx.Proto.TensorProto.Types.DataType.Float, "batch", 4));
        b.Graph.Output.Add(Nodes.TensorInfo("y", Core.Onnx.Proto.TensorProto.Types.DataType.Float, "batch", 4));
        var scores = b.Node("Add", ["x", b.Constant("mask", [4], [0f, 0f, float.NegativeInfinity, 0f])]);
        b.Node("Softmax", [scores], output: "y", attributes: [Attributes.Int("axis", -1)]);
        var calibration = RandomSamples("x", [3, 4], count: 4, seed: 2);

        var inside = ActivationCollector.Collect(b.Model(13), [scores], calibration, new MinMaxEstimator());
        var copied = ActivationCollector.Collect(b.Model(13), [scores], calibration, new EveryValue(new MinMaxEstimator()));

        Assert.IsTrue(float.IsFinite(inside[scores].Min) && float.IsFinite(inside[scores].Max));
        Assert.AreEqual(copied[scores].IncludingZero(), inside[scores].IncludingZero(), "the same quantization range, whatever the masked positions hold");
    }

    [TestMethod]
    public void Collect_InfinityOnlyInALaterSample_GuardsThatTensorAndKeepsTheOthersExact()
    {
        // log(relu(x)) is -inf wherever x <= 0: the first sample is all positive, the second is not, so the tensor is
        // found to hold infinities only after the session without the IsInf/Where guard has run once.
        var b = new GraphBuilder("late-infinity", new Random(1));
        b.Graph.Input.Add(Nodes.TensorInfo("x", Core.Onnx.Proto.TensorProto.Types.DataType.Float, "batch", 4));
        b.Graph.Output.Add(Nodes.TensorInfo("y", Core.Onnx.Proto.TensorProto.Types.DataType.Float, "batch", 4));
        var log = b.Node("Log", [b.Node("Relu", ["x"])]);
        var scaled = b.Node("Mul", ["x", b.Scalar("three", 3f)]);
        b.Node("Add", [log, scaled], output: "y");
        var calibration = new CalibrationSet(
        [
            Sample("positive", [0.5f, 1f, 2f, 4f]),
            Sample("mixed", [-1f, 0.25f, 3f, -2f]),
            Sample("positive again", [1f, 1f, 8f, 0.5f]),
        ], IsSynthetic: false, Source: null);
        var model = b.Model(13);

        var inside = ActivationCollector.Collect(model, [log, scaled], calibration, new MinMaxEstimator());
        var copied = ActivationCollector.Collect(model, [log, scaled], calibration, new EveryValue(new MinMaxEstimator()));

        Assert.AreEqual(new TensorRange(-6f, 24f), inside[scaled], "a finite tensor keeps its exact extremes");
        Assert.AreEqual(copied[scaled], inside[scaled]);
        Assert.AreEqual(copied[log].IncludingZero(), inside[log].IncludingZero(), "the infinite values do not set the range");
        Assert.AreEqual(MathF.Log(8f), inside[log].Max, 1e-6f);
    }

    [TestMethod]
    public void Collect_NonNegativeTensors_MaxOnlyGivesTheQuantizationParametersOfBothReductions()
    {
        var (model, tensors) = MixedSignModel();
        var calibration = RandomSamples("x", [2, 3, 8, 8], count: 3, seed: 7);
        var nonNegative = NonNegativeTensors.Of(model);

        var inside = ActivationCollector.Collect(model, tensors.Values, calibration, new MinMaxEstimator());
        var copied = ActivationCollector.Collect(model, tensors.Values, calibration, new EveryValue(new MinMaxEstimator()));

        CollectionAssert.AreEquivalent(new[] { tensors["relu"], tensors["relu6"], tensors["sigmoid"] }, tensors.Values.Where(nonNegative.Contains).ToList());
        foreach (var (role, tensor) in tensors)
        {
            Assert.AreEqual(copied[tensor].Max, inside[tensor].Max, role);
            // Max-only tensors report 0 as their minimum; every consumer widens the range to include 0 first.
            Assert.AreEqual(nonNegative.Contains(tensor) ? 0f : copied[tensor].Min, inside[tensor].Min, role);
            foreach (var type in new[] { ActivationType.UInt8, ActivationType.Int8Symmetric })
            {
                Assert.AreEqual(QuantizationParameters.ForActivation(copied[tensor], type), QuantizationParameters.ForActivation(inside[tensor], type), role);
            }
        }

        Assert.IsGreaterThan(0f, copied[tensors["relu"]].Max, "the Relu output is not all zero, so its max was really measured");
    }

    [TestMethod]
    public void Collect_NonNegativeConvOutputHoldingInfinity_IsGuardedAndKeepsItsFiniteMax()
    {
        // relu(conv(x) + bias) where one channel's bias is +inf: GlobalMaxPool sees the infinity, the guard removes it.
        var b = new GraphBuilder("infinite-relu", new Random(3));
        b.Graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 2, 4, 4));
        b.Graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 2, 4, 4));
        var conv = b.Node("Conv", ["x", b.Weight("w", [2, 2, 1, 1], 1f)]);
        var relu = b.Node("Relu", [b.Node("Add", [conv, b.Constant("bias", [1, 2, 1, 1], [0f, float.PositiveInfinity])])]);
        b.Node("Identity", [relu], output: "y");
        var model = b.Model(13);
        var calibration = RandomSamples("x", [1, 2, 4, 4], count: 2, seed: 1);

        var inside = ActivationCollector.Collect(model, [relu], calibration, new MinMaxEstimator());
        var copied = ActivationCollector.Collect(model, [relu], calibration, new EveryValue(new MinMaxEstimator()));

        Assert.IsTrue(SpatialTensors.Of(model).Contains(relu) && NonNegativeTensors.Of(model).Contains(relu));
        Assert.AreEqual(copied[relu].IncludingZero(), inside[relu].IncludingZero());
        Assert.IsTrue(float.IsFinite(inside[relu].Max) && inside[relu].Max > 0f);
    }

    /// <summary>
    /// A conv net with non-negative tensors of rank 4 (Relu, Clip(0, 6) after a Conv) and rank 2 (Sigmoid of a Gemm),
    /// and signed ones of both ranks (a Conv output, the Gemm output).
    /// </summary>
    private static (ModelProto Model, Dictionary<string, string> Tensors) MixedSignModel()
    {
        var b = new GraphBuilder("mixed-sign", new Random(2));
        b.Graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 3, 8, 8));
        b.Graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 5));
        var pads = Attributes.Ints("pads", [1, 1, 1, 1]);
        var conv = b.Node("Conv", ["x", b.Weight("w1", [4, 3, 3, 3], 0.5f), b.Weight("b1", [4], 0.1f)], pads);
        var relu = b.Node("Relu", [conv]);
        var conv2 = b.Node("Conv", [relu, b.Weight("w2", [4, 4, 3, 3], 0.5f)], pads);
        var relu6 = b.Node("Clip", [conv2, b.Scalar("zero", 0f), b.Scalar("six", 6f)]);
        var flat = b.Node("Flatten", [b.Node("GlobalAveragePool", [relu6])]);
        var gemm = b.Node("Gemm", [flat, b.Weight("w3", [4, 5], 1f)]);
        var sigmoid = b.Node("Sigmoid", [gemm], output: "y");
        var tensors = new Dictionary<string, string> { ["conv"] = conv, ["relu"] = relu, ["relu6"] = relu6, ["gemm"] = gemm, ["sigmoid"] = sigmoid };
        return (b.Model(13), tensors);
    }

    private static CalibrationSample Sample(string id, float[] values) =>
        new(id, [new CalibrationTensor("x", Core.Onnx.Proto.TensorProto.Types.DataType.Float, [1, 4], values)]);

    /// <summary>The same estimator, made to receive every value (the path histogram estimators take).</summary>
    private sealed class EveryValue(IRangeEstimator inner) : IRangeEstimator
    {
        public void Observe(string tensor, ReadOnlySpan<float> values) => inner.Observe(tensor, values);

        public IReadOnlyDictionary<string, TensorRange> Ranges() => inner.Ranges();
    }
}
