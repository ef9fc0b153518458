using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;

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

    private static CalibrationSample Sample(string id, float[] values) =>
        new(id, [new CalibrationTensor("x", Core.Onnx.Proto.TensorProto.Types.DataType.Float, [1, 4], values)]);

    /// <summary>The same estimator, made to receive every value (the path histogram estimators take).</summary>
    private sealed class EveryValue(IRangeEstimator inner) : IRangeEstimator
    {
        public void Observe(string tensor, ReadOnlySpan<float> values) => inner.Observe(tensor, values);

        public IReadOnlyDictionary<string, TensorRange> Ranges() => inner.Ranges();
    }
}
