using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Verification;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;
using static Optimizer.Core.Tests.Float16.Float16TestSupport;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

[TestClass]
public sealed class Float16ConversionPassTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(13)]
    [DataRow(18)]
    public void Convert_ConvNet_KeepsCosineAbove0999AndHalvesSize(int opset)
    {
        var model = ConvNetModel.Create(opset);
        var samples = RandomSamples(ConvNetModel.Input, [2, 3, 16, 16], 4, seed: 11);

        var (converted, _, sink) = Convert(model, samples);

        var cosine = Cosine(RunAll(model, samples), RunAll(converted, samples));
        var ratio = (double)ModelFile.ToBytes(converted).Length / ModelFile.ToBytes(model).Length;
        TestContext.WriteLine($"cosine {cosine:F7}, size ratio {ratio:F4}, casts {CastCount(converted)}");
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
        Assert.IsLessThanOrEqualTo(0.52, ratio);
        Assert.IsEmpty(sink.Warnings);
        Assert.AreEqual(2, CastCount(converted), "one Cast in, one Cast out");
        Assert.AreEqual((int)DataType.Float, converted.Graph.Input[0].Type.TensorType.ElemType);
        Assert.AreEqual((int)DataType.Float, converted.Graph.Output[0].Type.TensorType.ElemType);
        Assert.IsTrue(ModelWalker.AllTensors(converted).All(t => t.DataType != (int)DataType.Float), "every float weight, Constant ones included, is float16");
        AssertNoCastRoundTrips(converted);
    }

    [TestMethod]
    public void Convert_TransformerBlock_KeepsCosineAbove0999()
    {
        var model = TransformerBlockModel.Create();
        var samples = RandomSamples(Float16TestModels.Input, [2, 8, 32], 4, seed: 13);

        var (converted, _, _) = Convert(model, samples);

        var cosine = Cosine(RunAll(model, samples), RunAll(converted, samples));
        TestContext.WriteLine($"cosine {cosine:F7}, casts {CastCount(converted)}");
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
        var types = TypesOf(converted);
        var softmax = converted.Graph.Node.Single(n => n.OpType == "Softmax");
        Assert.AreEqual(DataType.Float16, types.Get(converted.Graph, softmax.Output[0]));
        AssertNoCastRoundTrips(converted);
    }

    [TestMethod]
    public void Convert_NetworkInsideIf_ConvertsBothBranchesConsistently()
    {
        var model = Float16TestModels.IfWrapped();
        var samples = RandomSamples(Float16TestModels.Input, [3, 16], 6, seed: 17,
            extra: s => new CalibrationTensor("cond", DataType.Bool, [], new[] { s % 2 == 0 }));

        var (converted, _, _) = Convert(model, samples);

        var cosine = Cosine(RunAll(model, samples), RunAll(converted, samples));
        TestContext.WriteLine($"cosine {cosine:F7}, casts {CastCount(converted)}");
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
        // Outer weights read from both branches are float16 once, in the main graph.
        Assert.IsTrue(converted.Graph.Initializer.All(i => i.DataType == (int)DataType.Float16));
        var types = TypesOf(converted);
        var (thenGraph, max) = Find(converted, "then.max3");
        Assert.AreEqual(DataType.Float16, types.Get(thenGraph, max.Input[0]), "Max is exact in float16, so it is not blocked");
        Assert.AreEqual(DataType.Float16, types.Get(thenGraph, max.Input[1]), "its own constant is float16 too");
        var ifNode = converted.Graph.Node.Single(n => n.OpType == "If");
        foreach (var branch in ModelWalker.Subgraphs(ifNode))
        {
            Assert.AreEqual((int)DataType.Float16, branch.Output[0].Type.TensorType.ElemType);
            Assert.AreEqual(DataType.Float16, types.Get(branch, branch.Output[0].Name));
        }

        AssertNoCastRoundTrips(converted);
    }

    [TestMethod]
    public void Convert_LoopBody_CarriesFloat16State()
    {
        var model = Float16TestModels.LoopCarried();
        var samples = RandomSamples(Float16TestModels.Input, [3, 16], 3, seed: 41);

        var (converted, context, _) = Convert(model, samples);

        var cosine = Cosine(RunAll(model, samples), RunAll(converted, samples));
        TestContext.WriteLine($"cosine {cosine:F7}, casts {CastCount(converted)}");
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
        var body = ModelWalker.Subgraphs(converted.Graph.Node.Single(n => n.OpType == "Loop")).Single();
        Assert.AreEqual((int)DataType.Float16, body.Input[2].Type.TensorType.ElemType);
        Assert.AreEqual((int)DataType.Float16, body.Output[1].Type.TensorType.ElemType);
        Assert.IsFalse(context.Notes.Any(n => n.Contains("kept", StringComparison.Ordinal) && n.Contains("Loop", StringComparison.Ordinal)), "nothing in the loop is near the limit");
    }

    [TestMethod]
    public void Convert_LoopStateBeyondFloat16Range_KeepsTheStateAndItsReadersFloat32()
    {
        var model = Float16TestModels.LoopGrowing();
        var samples = RandomSamples(Float16TestModels.Input, [3, 16], 3, seed: 67);

        var (converted, context, _) = Convert(model, samples);
        var (unprotected, _, _) = Convert(model, samples, new Float16Options { ProtectOverflow = false });

        TestContext.WriteLine(string.Join(Environment.NewLine, context.Notes));
        var loop = converted.Graph.Node.Single(n => n.OpType == "Loop");
        var body = ModelWalker.Subgraphs(loop).Single();
        var types = TypesOf(converted);
        Assert.AreEqual(DataType.Float, types.Get(converted.Graph, loop.Input[2]), "the initial state is read as float32");
        Assert.AreEqual((int)DataType.Float, body.Input[2].Type.TensorType.ElemType, "the carried state enters the body as float32");
        Assert.AreEqual((int)DataType.Float, body.Output[1].Type.TensorType.ElemType, "and leaves it as float32");
        Assert.AreEqual(DataType.Float, types.Get(converted.Graph, loop.Output[0]));
        Assert.AreEqual(DataType.Float, types.Get(body, Find(converted, "grow_step").Node.Output[0]), "the growing Mul inside the body runs in float32");
        Assert.AreEqual(DataType.Float, types.Get(converted.Graph, Find(converted, "shrink_div").Node.Input[0]), "the Div reading the large result runs in float32");
        Assert.IsTrue(context.Notes.Any(n => n.Contains("kept Loop 'loop' outputs 'final'", StringComparison.Ordinal)));

        var expected = RunAll(model, samples);
        var emulated = RunAll(ReducedPrecisionEmulation.Create(converted), samples);
        Assert.IsTrue(emulated.All(float.IsFinite));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, emulated));
        Assert.IsFalse(RunAll(ReducedPrecisionEmulation.Create(unprotected), samples).All(float.IsFinite), "without protection a GPU would overflow");
    }

    [TestMethod]
    public void Convert_IntermediateBeyondFloat16Range_KeepsItsNodesInFloat32()
    {
        var model = Float16TestModels.Overflowing();
        var samples = RandomSamples(Float16TestModels.Input, [4, 16], 4, seed: 19);

        var (converted, context, _) = Convert(model, samples);

        TestContext.WriteLine(string.Join(Environment.NewLine, context.Notes));
        var types = TypesOf(converted);
        foreach (var name in new[] { "scale_up", "scale_down" })
        {
            var (graph, node) = Find(converted, name);
            Assert.IsTrue(node.Input.Concat(node.Output).All(t => types.Get(graph, t) == DataType.Float), $"{name} runs in float32");
            Assert.IsTrue(context.Notes.Any(n => n.Contains($"'{name}'", StringComparison.Ordinal)), $"the report says why {name} stayed float32");
        }

        var expected = RunAll(model, samples);
        var actual = RunAll(converted, samples);
        Assert.IsTrue(actual.All(float.IsFinite));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, actual));
        Assert.IsTrue(Find(converted, "overflow.matmul0").Node.Output.All(o => types.Get(converted.Graph, o) == DataType.Float16), "the rest is float16");
        AssertNoCastRoundTrips(converted);
    }

    [TestMethod]
    public void Convert_OverflowInsideIfBranches_KeepsThoseNodesInFloat32()
    {
        var model = Float16TestModels.WrapInIf(Float16TestModels.Overflowing());
        var samples = RandomSamples(Float16TestModels.Input, [4, 16], 4, seed: 43,
            extra: s => new CalibrationTensor("cond", DataType.Bool, [], new[] { s % 2 == 0 }));

        var (converted, _, _) = Convert(model, samples);

        var types = TypesOf(converted);
        var kept = ModelWalker.AllGraphs(converted).SelectMany(g => g.Node.Where(n => n.Name is "scale_up" or "scale_down").Select(n => (g, n))).ToList();
        Assert.HasCount(4, kept, "both nodes in both branches");
        foreach (var (graph, node) in kept)
        {
            Assert.IsTrue(node.Input.Concat(node.Output).All(t => types.Get(graph, t) == DataType.Float), $"{node.Name} runs in float32");
        }

        var actual = RunAll(converted, samples);
        Assert.IsTrue(actual.All(float.IsFinite));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(RunAll(model, samples), actual));
        AssertNoCastRoundTrips(converted);
    }

    [TestMethod]
    public void Convert_WithoutOverflowProtection_LeavesTheOverflowingNodeInFloat16()
    {
        var model = Float16TestModels.Overflowing();
        var samples = RandomSamples(Float16TestModels.Input, [4, 16], 2, seed: 19);

        var (converted, _, _) = Convert(model, samples, new Float16Options { ProtectOverflow = false });

        var (graph, node) = Find(converted, "scale_up");
        Assert.AreEqual(DataType.Float16, TypesOf(converted).Get(graph, node.Output[0]));
    }

    [TestMethod]
    public void Convert_WeightBeyondFloat16Range_KeepsItFloat32OrClampsWithWarning()
    {
        var model = Float16TestModels.Overflowing(gain: 1e5f);
        var samples = RandomSamples(Float16TestModels.Input, [4, 16], 2, seed: 23);

        var (protectedModel, _, protectedSink) = Convert(model, samples);
        var (clampedModel, _, clampedSink) = Convert(model, samples, new Float16Options { ProtectOverflow = false });

        Assert.IsEmpty(protectedSink.Warnings);
        var gain = Find(protectedModel, "gain.constant").Node.Attribute[0].T;
        Assert.AreEqual((int)DataType.Float, gain.DataType, "the weight's reader runs in float32, so the weight stays exact");
        Assert.IsTrue(RunAll(protectedModel, samples).All(float.IsFinite));
        Assert.AreEqual("OPT5002", clampedSink.Warnings.Single(w => w.Message.Contains("'gain'", StringComparison.Ordinal)).Code);
        Assert.AreEqual(65504f, TensorValues.ReadFloats(Find(clampedModel, "gain.constant").Node.Attribute[0].T)[0]);
    }

    [TestMethod]
    public void Convert_WeightsOfBlockedNodes_AreRoundedBehindACastUnlessMostlySubnormal()
    {
        var model = Float16TestModels.TinyWeights();
        var samples = RandomSamples(Float16TestModels.Input, [4, 16], 2, seed: 73);

        var (converted, context, _) = Convert(model, samples, new Float16Options { BlockNodeNames = new HashSet<string> { "normal_matmul", "tiny_matmul" } });

        TestContext.WriteLine(string.Join(Environment.NewLine, context.Notes));
        var initializers = converted.Graph.Initializer.ToDictionary(i => i.Name, i => (DataType)i.DataType);
        Assert.AreEqual(DataType.Float16, initializers["w.normal"], "ordinary weights round like any float16 weight");
        Assert.AreEqual(DataType.Float, initializers["w.tiny"], "weights in float16's subnormal range would lose most of their bits");
        var (graph, normal) = Find(converted, "normal_matmul");
        Assert.AreEqual(DataType.Float, TypesOf(converted).Get(graph, normal.Input[1]), "the kept node reads its weight cast back to float32");
        Assert.AreEqual("w.tiny", Find(converted, "tiny_matmul").Node.Input[1]);
        Assert.IsTrue(context.Notes.Any(n => n.Contains("'w.tiny'", StringComparison.Ordinal) && n.Contains("relative L2 error", StringComparison.Ordinal)), "the report says why it stayed float32");
        Assert.IsGreaterThanOrEqualTo(0.9999, Cosine(RunAll(model, samples), RunAll(ReducedPrecisionEmulation.Create(converted), samples)));
    }

    [TestMethod]
    public void Convert_KeepIoTypesFalse_GivesFloat16InputsAndOutputs()
    {
        var model = TransformerBlockModel.Create();
        var samples = RandomSamples(Float16TestModels.Input, [2, 8, 32], 2, seed: 29);

        var (converted, _, _) = Convert(model, samples, new Float16Options { KeepIoTypes = false });

        Assert.AreEqual((int)DataType.Float16, converted.Graph.Input[0].Type.TensorType.ElemType);
        Assert.AreEqual((int)DataType.Float16, converted.Graph.Output[0].Type.TensorType.ElemType);
        var cosine = Cosine(RunAll(model, samples), RunAll(converted, AsFloat16(samples)));
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
        Assert.AreEqual(0, CastCount(converted), "nothing is blocked, so nothing needs a Cast");
    }

    [TestMethod]
    public void Convert_Resize_KeepsScalesFloat32AndConvertsTheData()
    {
        var model = Float16TestModels.ConvResize();
        var samples = RandomSamples(Float16TestModels.Input, [2, 3, 8, 8], 2, seed: 53);

        var (converted, _, _) = Convert(model, samples);

        var (graph, resize) = Find(converted, "resize");
        var types = TypesOf(converted);
        Assert.AreEqual(DataType.Float16, types.Get(graph, resize.Input[0]));
        Assert.AreEqual("scales", resize.Input[2], "scales are read as stored, without a Cast");
        Assert.AreEqual((int)DataType.Float, converted.Graph.Initializer.Single(i => i.Name == "scales").DataType);
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(RunAll(model, samples), RunAll(converted, samples)));
    }

    [TestMethod]
    public void Convert_BlockedNodeName_RunsThatNodeInFloat32()
    {
        var model = TransformerBlockModel.Create();
        var softmaxName = model.Graph.Node.Single(n => n.OpType == "Softmax").Name;
        var samples = RandomSamples(Float16TestModels.Input, [2, 8, 32], 2, seed: 59);

        var (converted, context, _) = Convert(model, samples, new Float16Options { BlockNodeNames = new HashSet<string> { softmaxName } });

        var (graph, softmax) = Find(converted, softmaxName);
        var types = TypesOf(converted);
        Assert.AreEqual(DataType.Float, types.Get(graph, softmax.Input[0]));
        Assert.AreEqual(DataType.Float, types.Get(graph, softmax.Output[0]));
        Assert.AreEqual(4, CastCount(converted), "boundary in and out, plus one Cast on each side of the Softmax");
        Assert.IsTrue(context.Notes.Any(n => n.Contains(softmaxName, StringComparison.Ordinal)));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(RunAll(model, samples), RunAll(converted, samples)));
        AssertNoCastRoundTrips(converted);
    }

    [TestMethod]
    public void Convert_CastFeedingBlockedOp_LeavesNoCastRoundTrip()
    {
        var model = Float16TestModels.CastIntoBlockedOp();
        var samples = RandomSamples(Float16TestModels.Input, [2, 16], 2, seed: 31);

        var (converted, _, _) = Convert(model, samples);

        AssertNoCastRoundTrips(converted);
        var cumsum = converted.Graph.Node.Single(n => n.OpType == "CumSum");
        Assert.AreEqual(Float16TestModels.Input, cumsum.Input[0], "CumSum reads the float32 input directly");
        Assert.IsGreaterThanOrEqualTo(0.9999, Cosine(RunAll(model, samples), RunAll(converted, samples)));
    }
}
