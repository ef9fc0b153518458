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
public sealed class SubgraphQuantizationTests
{
    /// <summary>
    /// x [batch, 16] → MatMul (main graph) → h; If (mean(h) &gt; 0) then MatMul(h, Wt) else MatMul(h, We): the branches read
    /// h and their weights from the outer scope and their own initializers, as exporters of conditional heads write them.
    /// </summary>
    private static ModelProto IfModel()
    {
        var random = new Random(7);
        var graph = new GraphProto { Name = "conditional" };
        graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 16));
        graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 8));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "w0", [16, 32], 0.3f));
        graph.Initializer.Add(TensorValues.FromFloats("zero", [], [0f]));
        graph.Node.Add(Nodes.Create("MatMul", "trunk", ["x", "w0"], ["h"]));
        graph.Node.Add(Nodes.Create("ReduceMean", "mean", ["h"], ["m"], Attributes.Int("keepdims", 0)));
        graph.Node.Add(Nodes.Create("Greater", "positive", ["m", "zero"], ["cond"]));
        graph.Node.Add(Nodes.Create("If", "branch", ["cond"], ["y"],
            Attributes.Graph("then_branch", Branch("then", ConvNetModel.RandomTensor(random, "wt", [32, 8], 0.2f))),
            Attributes.Graph("else_branch", Branch("else", ConvNetModel.RandomTensor(random, "we", [32, 8], 0.2f)))));
        var model = new ModelProto { IrVersion = 8, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static GraphProto Branch(string name, TensorProto weight)
    {
        var branch = new GraphProto { Name = name };
        branch.Initializer.Add(weight);
        branch.Node.Add(Nodes.Create("MatMul", $"{name}_head", ["h", weight.Name], [$"{name}_out"]));
        branch.Output.Add(Nodes.TensorInfo($"{name}_out", DataType.Float, "batch", 8));
        return branch;
    }

    [TestMethod]
    public void Quantize_IfSubgraphs_StayFloatValidAndAreReportedByName()
    {
        var original = IfModel();
        var calibration = RandomSamples("x", [3, 16], count: 4, seed: 2);
        var heldOut = RandomSamples("x", [3, 16], count: 4, seed: 12);
        var expected = RunAll(original, heldOut);
        var context = Context(calibration, out var sink);

        var quantized = new QdqQuantizationPass().Apply(original.Clone(), context);

        var cosine = Cosine(expected, RunAll(quantized, heldOut));
        Assert.IsGreaterThanOrEqualTo(0.99, cosine);
        var warning = sink.Warnings.Single();
        Assert.AreEqual(ErrorCodes.PartiallyOptimized, warning.Code);
        StringAssert.Contains(warning.Message, "'then_head'");
        StringAssert.Contains(warning.Message, "'else_head'");
        Assert.IsTrue(quantized.Graph.Node.Any(n => n.OpType == "QuantizeLinear"), "the main-graph MatMul is still quantized");
        var branches = quantized.Graph.Node.Single(n => n.OpType == "If").Attribute.Select(a => a.G).ToList();
        Assert.IsTrue(branches.All(b => b.Node.Single().OpType == "MatMul" && b.Initializer.Single().DataType == (int)DataType.Float));
        StringAssert.Contains(context.Notes[^1], "2 left in float");
    }
}
