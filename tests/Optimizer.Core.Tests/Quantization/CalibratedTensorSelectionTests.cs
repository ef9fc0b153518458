using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Folding;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>
/// Calibration exposes only the tensors its results need: every exposed tensor is one more copy per sample and can stop
/// ORT from fusing a Conv with its activation.
/// </summary>
[TestClass]
public sealed class CalibratedTensorSelectionTests
{
    [TestMethod]
    public void Build_ConvNetWithRelu_CalibratesOnlyTheTensorsThatGetAQuantizeLinear()
    {
        var model = Prepared(ConvNetModel.Create(width: 8));
        var calibration = RandomSamples(ConvNetModel.Input, [1, 3, 16, 16], count: 2, seed: 5);
        var estimator = new RecordingEstimator();

        QdqModelBuilder.Build(model, new QuantizationOptions(), new CalibratedRanges(model, calibration, () => estimator));

        // Conv outputs are quantized after the Relu that ORT fuses into them; MaxPool and Flatten outputs share their input's scale.
        CollectionAssert.AreEquivalent(new[] { ConvNetModel.Input, "relu0.out", "relu1.out", "relu2.out", "gap.out" }, estimator.Observed.ToList());
    }

    [TestMethod]
    public void Build_DepthwiseNetWithClip_CalibratesNoFusedConvOutputAndNoPassthroughOutput()
    {
        var model = Prepared(DepthwiseNetModel.Create(width: 8, imageSize: 16));
        var calibration = RandomSamples(DepthwiseNetModel.Input, [1, 3, 16, 16], count: 2, seed: 5);
        var estimator = new RecordingEstimator();

        var build = QdqModelBuilder.Build(model, new QuantizationOptions(), new CalibratedRanges(model, calibration, () => estimator));

        var producers = model.Graph.Node.SelectMany(n => n.Output.Select(o => (Output: o, Node: n))).ToDictionary(p => p.Output, p => p.Node);
        foreach (var tensor in estimator.Observed.Where(producers.ContainsKey))
        {
            var consumers = Nodes.Consumers(model.Graph, tensor).ToList();
            Assert.IsFalse(producers[tensor].OpType == "Conv" && consumers is [{ OpType: "Relu" or "Clip" }], $"{tensor} feeds only a fused activation");
            Assert.IsFalse(QuantizableOps.PassThrough.Contains(producers[tensor].OpType), $"{tensor} shares its input's scale");
        }

        Assert.IsTrue(model.Graph.Node.Any(n => n.OpType == "Conv" && Nodes.Consumers(model.Graph, n.Output[0]).ToList() is [{ OpType: "Clip" }]),
            "the net has Conv→Clip pairs to leave unmeasured");
        Assert.IsTrue(estimator.Observed.SetEquals(build.Plan.Activations.Select(a => build.Plan.SharedWith.GetValueOrDefault(a, a))),
            "every tensor with a QuantizeLinear of its own is measured, and nothing else");
    }

    /// <summary>The float model as the pass hands it to calibration: weights hoisted, BatchNorm folded, opset 13, HardSwish decomposed.</summary>
    private static ModelProto Prepared(ModelProto model)
    {
        ConstantHoisting.HoistAll(model);
        BatchNormFolding.Fold(model);
        OpsetUpgrade.UpgradeTo13(model);
        HardActivationDecomposition.Apply(model, new QuantizationOptions());
        return model;
    }

    /// <summary>Min/max ranges, remembering which tensors calibration observed.</summary>
    private sealed class RecordingEstimator : IRangeEstimator
    {
        private readonly MinMaxEstimator _inner = new();

        public HashSet<string> Observed { get; } = new(StringComparer.Ordinal);

        public bool NeedsOnlyExtremes => true;

        public void Observe(string tensor, ReadOnlySpan<float> values)
        {
            Observed.Add(tensor);
            _inner.Observe(tensor, values);
        }

        public IReadOnlyDictionary<string, TensorRange> Ranges() => _inner.Ranges();
    }
}
