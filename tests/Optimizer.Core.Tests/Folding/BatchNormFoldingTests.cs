using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Folding;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Folding;

[TestClass]
public sealed class BatchNormFoldingTests
{
    [TestMethod]
    [DataRow(9)]
    [DataRow(11)]
    public void Fold_ResidualNet_RemovesEveryBatchNormAndKeepsTheOutputs(int opset)
    {
        var original = ResidualNetModel.Create(opset: opset);
        ConstantHoisting.HoistAll(original);
        var batchNorms = original.Graph.Node.Count(n => n.OpType == "BatchNormalization");
        var samples = RandomSamples(ResidualNetModel.Input, [2, 3, 32, 32], count: 2, seed: 3);

        var model = original.Clone();
        var folded = BatchNormFolding.Fold(model);

        Assert.HasCount(batchNorms, folded);
        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType == "BatchNormalization"));
        Assert.IsFalse(model.Graph.Initializer.Any(i => i.Name.EndsWith(".mean", StringComparison.Ordinal)), "BN statistics are removed");
        AssertSameOutputs(RunAll(original, samples), RunAll(model, samples));
    }

    [TestMethod]
    public void Fold_GroupedConvTransposeWithBias_KeepsTheOutputs()
    {
        // ConvTranspose weights are [C_in, C_out/group, k, k]: the BN channel is the group's offset plus axis 1.
        var random = new Random(5);
        var graph = new GraphProto { Name = "decoder" };
        graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 4, 8, 8));
        graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 6, 16, 16));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "up.weight", [4, 3, 2, 2], 0.5f));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "up.bias", [6], 0.5f));
        graph.Node.Add(Nodes.Create("ConvTranspose", "up", ["x", "up.weight", "up.bias"], ["up.out"],
            Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2), Attributes.Int("group", 2)));
        var bn = new ConvBnLayers(graph, random).BatchNorm("up.bn", "up.out", 6);
        graph.Node.Add(Nodes.Create("Identity", "out", [bn], ["y"]));
        var original = new ModelProto { IrVersion = 7, Graph = graph };
        original.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 11 });
        var samples = RandomSamples("x", [1, 4, 8, 8], count: 2, seed: 3);

        var model = original.Clone();

        Assert.HasCount(1, BatchNormFolding.Fold(model));
        AssertSameOutputs(RunAll(original, samples), RunAll(model, samples));
    }

    [TestMethod]
    public void Fold_ConvOutputReadTwice_IsLeftAlone()
    {
        var random = new Random(6);
        var graph = new GraphProto { Name = "branch" };
        graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 3, 8, 8));
        graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 4, 8, 8));
        var layers = new ConvBnLayers(graph, random);
        var bnOut = layers.ConvBn("conv", "x", 3, 4, 3);
        // The Conv's raw output also feeds the Add, so folding BN into the Conv would change that second reader.
        graph.Node.Add(Nodes.Create("Add", "add", [bnOut, "conv.out"], ["y"]));
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });

        Assert.IsEmpty(BatchNormFolding.Fold(model));
        Assert.AreEqual(1, model.Graph.Node.Count(n => n.OpType == "BatchNormalization"));
    }

    private static void AssertSameOutputs(float[] expected, float[] actual)
    {
        Assert.HasCount(expected.Length, actual);
        var scale = expected.Max(MathF.Abs);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-4f * scale, $"output value {i}");
        }
    }
}
