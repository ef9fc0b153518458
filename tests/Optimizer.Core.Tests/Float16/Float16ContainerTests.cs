using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Verification;
using static Optimizer.TestModels.ModelRuns;
using static Optimizer.Core.Tests.Float16.Float16TestSupport;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

// ONNX Runtime 1.31.1's CPU provider crashed the test host natively (intermittently) when these models ran in parallel
// with the rest of the suite; run alone, each passed every time.
[TestClass]
[DoNotParallelize]
public sealed class Float16ContainerTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Convert_SequencesAndOptionals_RetypesTheirDeclarationsAndRunsInOrt()
    {
        var model = Float16ContainerModels.SequenceAndOptional();
        var samples = RandomSamples(Float16ContainerModels.Input, [3, 16], 3, seed: 91);

        var (converted, context, _) = Convert(model, samples);

        TestContext.WriteLine(string.Join(Environment.NewLine, context.Notes));
        var declared = converted.Graph.ValueInfo.ToDictionary(v => v.Name);
        Assert.AreEqual((int)DataType.Float16, declared["pair"].Type.SequenceType.ElemType.TensorType.ElemType, "seq(tensor(float)) becomes seq(tensor(float16))");
        Assert.AreEqual((int)DataType.Float16, declared["maybe"].Type.OptionalType.ElemType.TensorType.ElemType);
        Assert.AreEqual((int)DataType.Float16, Find(converted, "nothing").Node.Attribute.Single(a => a.Name == "type").Tp.TensorType.ElemType, "the empty Optional's declared type too");
        var types = TypesOf(converted);
        Assert.AreEqual(DataType.Float16, types.Get(converted.Graph, Find(converted, "pair_first").Node.Output[0]), "SequenceAt gives float16");
        Assert.AreEqual(2, CastCount(converted), "tensors enter and leave the containers in float16: only the boundary Casts");

        var expected = RunAll(model, samples);
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, RunAll(converted, samples)), "ORT accepts and runs the float16 model");
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, RunAll(ReducedPrecisionEmulation.Create(converted), samples)));
    }

    [TestMethod]
    public void Convert_LoopCollectingASequence_CarriesItInFloat16()
    {
        var model = Float16ContainerModels.LoopCollectingSequence();
        var samples = RandomSamples(Float16ContainerModels.Input, [3, 16], 3, seed: 101);

        var (converted, _, _) = Convert(model, samples);

        var body = ModelWalker.Subgraphs(Find(converted, "loop").Node).Single();
        Assert.AreEqual((int)DataType.Float16, body.Input[2].Type.SequenceType.ElemType.TensorType.ElemType);
        Assert.AreEqual((int)DataType.Float16, body.Output[1].Type.SequenceType.ElemType.TensorType.ElemType);
        Assert.AreEqual((long)DataType.Float16, Attributes.GetInt(Find(converted, "empty").Node, "dtype", 0), "SequenceEmpty makes a float16 sequence");
        var expected = RunAll(model, samples);
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, RunAll(converted, samples)));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, RunAll(ReducedPrecisionEmulation.Create(converted), samples)));
    }

    [TestMethod]
    public void Convert_SequenceCollectingValuesBeyondFloat16_StaysFloat32AsAWhole()
    {
        var model = Float16ContainerModels.LoopCollectingSequence(gain: 6e4f);
        var samples = RandomSamples(Float16ContainerModels.Input, [3, 16], 3, seed: 103);

        var (converted, context, _) = Convert(model, samples);
        var (unprotected, _, _) = Convert(model, samples, new Float16Options { ProtectOverflow = false });

        TestContext.WriteLine(string.Join(Environment.NewLine, context.Notes));
        var body = ModelWalker.Subgraphs(Find(converted, "loop").Node).Single();
        Assert.AreEqual((int)DataType.Float, body.Input[2].Type.SequenceType.ElemType.TensorType.ElemType, "a sequence cannot be Cast, so the whole family stays float32");
        Assert.AreEqual((int)DataType.Float, body.Output[1].Type.SequenceType.ElemType.TensorType.ElemType);
        Assert.AreEqual((int)DataType.Float, converted.Graph.ValueInfo.Single(v => v.Name == "steps").Type.SequenceType.ElemType.TensorType.ElemType);
        Assert.AreEqual((long)DataType.Float, Attributes.GetInt(Find(converted, "empty").Node, "dtype", (long)DataType.Float));
        Assert.IsTrue(context.Notes.Any(n => n.Contains("kept sequence/optional values", StringComparison.Ordinal) && n.Contains("'steps'", StringComparison.Ordinal)));

        var expected = RunAll(model, samples);
        var emulated = RunAll(ReducedPrecisionEmulation.Create(converted), samples);
        Assert.IsTrue(emulated.All(float.IsFinite));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, emulated));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, RunAll(converted, samples)));
        Assert.IsFalse(RunAll(ReducedPrecisionEmulation.Create(unprotected), samples).All(float.IsFinite), "a float16 sequence would hold infinities");
    }

    [TestMethod]
    public void Convert_SparseInitializerAndSparseConstant_ConvertsTheirValues()
    {
        var model = Float16ContainerModels.SparseWeights();
        var samples = RandomSamples(Float16ContainerModels.Input, [3, 16], 3, seed: 107);

        var (converted, _, _) = Convert(model, samples);

        var sparse = converted.Graph.SparseInitializer.Single();
        Assert.AreEqual((int)DataType.Float16, sparse.Values.DataType);
        Assert.AreEqual((int)DataType.Int64, sparse.Indices.DataType, "indices are untouched");
        Assert.AreEqual((int)DataType.Float16, Find(converted, "bias.constant").Node.Attribute.Single().SparseTensor.Values.DataType);
        Assert.AreEqual(2, CastCount(converted), "read in float16 directly: only the boundary Casts");
        var expected = RunAll(model, samples);
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, RunAll(converted, samples)));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(expected, RunAll(ReducedPrecisionEmulation.Create(converted), samples)));
    }
}
