using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

[TestClass]
public sealed class OpsetUpgradeTests
{
    /// <summary>
    /// Opset 9 graph using every op whose signature changed before 13 in attribute form: x [2, 4, 6] → Clip → Unsqueeze
    /// → Squeeze → Split → ReduceSum → Pad → Slice → Softmax (axis 1 on 3-D, the old flattening semantics) → concat.
    /// </summary>
    private static ModelProto ChangedOpsModel()
    {
        var graph = new GraphProto { Name = "changed-ops" };
        graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, 2, 4, 6));
        graph.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } } });
        graph.Node.Add(Nodes.Create("Clip", "clip", ["x"], ["clipped"], Attributes.Float("min", -0.5f), Attributes.Float("max", 0.8f)));
        graph.Node.Add(Nodes.Create("Unsqueeze", "unsqueeze", ["clipped"], ["u"], Attributes.Ints("axes", 0)));
        graph.Node.Add(Nodes.Create("Squeeze", "squeeze", ["u"], ["s"], Attributes.Ints("axes", 0)));
        graph.Node.Add(Nodes.Create("Split", "split", ["s"], ["a", "b"], Attributes.Int("axis", 2), Attributes.Ints("split", 2, 4)));
        graph.Node.Add(Nodes.Create("ReduceSum", "reduce", ["b"], ["r"], Attributes.Ints("axes", 2), Attributes.Int("keepdims", 1)));
        graph.Node.Add(Nodes.Create("Pad", "pad", ["r"], ["p"], Attributes.Ints("pads", 0, 0, 1, 0, 0, 0), Attributes.Float("value", 2f)));
        graph.Node.Add(Nodes.Create("Slice", "slice", ["p"], ["sl"], Attributes.Ints("starts", 1), Attributes.Ints("ends", 3), Attributes.Ints("axes", 2)));
        graph.Node.Add(Nodes.Create("Softmax", "softmax", ["s"], ["sm"], Attributes.Int("axis", 1)));
        graph.Node.Add(Nodes.Create("Concat", "concat", ["a", "sl", "sm"], ["y"], Attributes.Int("axis", 2)));
        var model = new ModelProto { IrVersion = 4, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 9 });
        return model;
    }

    [TestMethod]
    public void Upgrade_Opset9ChangedOps_RewritesThemAndKeepsEveryOutputValue()
    {
        var model = ChangedOpsModel();
        var samples = RandomSamples("x", [2, 4, 6], count: 2, seed: 4);
        var expected = RunAll(model, samples);

        var result = OpsetUpgrade.UpgradeTo13(model);

        Assert.AreEqual(9L, result.FromVersion);
        Assert.AreEqual(8, result.RewrittenNodes);
        Assert.AreEqual(13L, Opsets.DefaultDomainVersion(model));
        Assert.AreEqual(7L, model.IrVersion);
        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType != "Softmax" && n.Attribute.Any(a => a.Name is "axes" or "split" or "min" or "pads" or "starts")));
        CollectionAssert.AreEqual(expected, RunAll(model, samples));
    }

    [TestMethod]
    public void Quantize_Opset9ModelWithUpsample_RefusesNamingTheNode()
    {
        var model = ConvNetModel.Create(opset: 9);
        var conv0 = model.Graph.Node.Single(n => n.Name == "relu0");
        model.Graph.Initializer.Add(TensorValues.FromFloats("up.scales", [4], [1f, 1f, 2f, 2f]));
        model.Graph.Node.Insert(model.Graph.Node.IndexOf(conv0) + 1,
            Nodes.Create("Upsample", "decoder.up0", ["relu0.out", "up.scales"], ["up.out"], Attributes.String("mode", "nearest")));
        model.Graph.Output.Add(Nodes.TensorInfo("up.out", DataType.Float, "batch", 16, 32, 32));
        var before = model.Clone();
        var calibration = RandomSamples(ConvNetModel.Input, [1, 3, 16, 16], count: 1, seed: 1);

        var error = Assert.ThrowsExactly<OptimizerException>(() => new QdqQuantizationPass().Apply(model, Context(calibration, out _)));

        Assert.AreEqual(ErrorCodes.ModelUnsupported, error.Code);
        StringAssert.Contains(error.Message, "node 'decoder.up0' (op Upsample)");
        StringAssert.Contains(error.Message, "opset 9");
        Assert.AreEqual(9L, Opsets.DefaultDomainVersion(model), "a refused upgrade leaves the opset untouched");
        Assert.AreEqual(before.Graph.Node.Count(n => n.OpType != "Constant"), model.Graph.Node.Count(n => n.OpType != "Constant"));
    }

    [TestMethod]
    public void Upgrade_OpsetBelow7_IsRefused()
    {
        var model = ConvNetModel.Create(opset: 6);

        var error = Assert.ThrowsExactly<OptimizerException>(() => OpsetUpgrade.UpgradeTo13(model));

        Assert.AreEqual(ErrorCodes.ModelUnsupported, error.Code);
        StringAssert.Contains(error.Message, "opset 6");
    }
}
