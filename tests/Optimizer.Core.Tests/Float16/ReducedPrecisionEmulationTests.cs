using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Runtime;
using Optimizer.Core.Verification;
using Optimizer.TestModels;
using static Optimizer.TestModels.ModelRuns;
using static Optimizer.Core.Tests.Float16.Float16TestSupport;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

[TestClass]
public sealed class ReducedPrecisionEmulationTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Emulate_AudioFrontEndWithoutProtection_ShowsTheOverflowACpuRunHides()
    {
        var model = AudioFrontEndModel.Create();
        var samples = RandomSamples(AudioFrontEndModel.Input, [2, 1, 2048], 3, seed: 19);
        var (converted, _, _) = Convert(model, samples, new Float16Options { ProtectOverflow = false });
        var reference = FidelityVerifier.ReferenceOutputs(model, samples.Samples);

        var cpu = FidelityVerifier.Verify(reference, converted, samples.Samples, VerificationPath.OnnxRuntimeCpu);
        var emulated = FidelityVerifier.Verify(reference, converted, samples.Samples, VerificationPath.Float16Emulation);

        TestContext.WriteLine($"CPU run cosine {cpu.Cosine:F6}, emulated cosine {emulated.Cosine:F6}");
        Assert.IsGreaterThanOrEqualTo(0.999, cpu.Cosine, "ORT's CPU provider computes the STFT and power in float32 and never holds 1e11 in float16");
        Assert.AreEqual(0, emulated.Cosine, "a GPU's float16 STFT outputs are infinite, and so are the logits");
        Assert.IsTrue(double.IsPositiveInfinity(emulated.MaxAbsError));
    }

    [TestMethod]
    public void Emulate_AudioFrontEndWithProtection_StaysFiniteAndFaithful()
    {
        var model = AudioFrontEndModel.Create();
        var samples = RandomSamples(AudioFrontEndModel.Input, [2, 1, 2048], 3, seed: 19);
        var (converted, context, _) = Convert(model, samples);

        var emulated = RunAll(ReducedPrecisionEmulation.Create(converted), samples);

        TestContext.WriteLine(string.Join(Environment.NewLine, context.Notes));
        Assert.IsTrue(emulated.All(float.IsFinite));
        Assert.IsGreaterThanOrEqualTo(0.999, Cosine(RunAll(model, samples), emulated));
        var types = TypesOf(converted);
        foreach (var name in new[] { "pcm", "stft_real", "stft_imag", "power", "mel", "log_mel" })
        {
            var (graph, node) = Find(converted, name);
            Assert.AreEqual(DataType.Float, types.Get(graph, node.Input[0]), $"{name} runs in float32");
        }

        Assert.AreEqual(DataType.Float16, types.Get(converted.Graph, Find(converted, "fc").Node.Input[0]), "the classifier after the Log runs in float16");
    }

    [TestMethod]
    public void Convert_AudioFrontEnd_StoresWeightsOfFloat32NodesInFloat16BehindOneCastEach()
    {
        // The benchmark's classifier width, on shorter clips.
        var model = AudioFrontEndModel.Create(channels: 64);
        var samples = RandomSamples(AudioFrontEndModel.Input, [2, 1, 2048], 3, seed: 19);

        var (converted, context, _) = Convert(model, samples);
        var (exact, _, _) = Convert(model, samples, new Float16Options { KeptWeightTolerance = 0 });

        var expected = RunAll(model, samples);
        var cosine = Cosine(expected, RunAll(ReducedPrecisionEmulation.Create(converted), samples));
        var ratio = (double)ModelFile.ToBytes(converted).Length / ModelFile.ToBytes(model).Length;
        var exactRatio = (double)ModelFile.ToBytes(exact).Length / ModelFile.ToBytes(model).Length;
        TestContext.WriteLine(string.Join(Environment.NewLine, context.Notes));
        TestContext.WriteLine($"size {ratio:F4} (exact float32-only weights: {exactRatio:F4}), emulated cosine {cosine:F6}, casts {CastCount(converted)}");
        Assert.IsLessThanOrEqualTo(0.51, ratio);
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
        Assert.IsGreaterThan(0.7, exactRatio, "tolerance 0 keeps the STFT kernels and mel filters exact float32");
        var types = TypesOf(converted);
        foreach (var (node, input) in new[] { ("stft_real", 1), ("stft_imag", 1), ("mel", 0) })
        {
            var (graph, reader) = Find(converted, node);
            var cast = graph.Node.Single(n => n.Output.Contains(reader.Input[input]));
            Assert.AreEqual("Cast", cast.OpType, $"{node} reads its weight through a Cast");
            Assert.AreEqual(DataType.Float16, types.Get(graph, cast.Input[0]), $"{node}'s weight is stored in float16");
            Assert.AreEqual(DataType.Float, types.Get(graph, reader.Input[input]), $"{node} still computes in float32");
        }

        Assert.AreEqual((int)DataType.Float, Find(converted, "pcm_scale.constant").Node.Attribute[0].T.DataType, "a scalar is not worth a Cast");
        StringAssert.Contains(context.Notes.Single(n => n.Contains("stored 3 weights", StringComparison.Ordinal)), "'mel.filters', 'stft.cos', 'stft.sin'");
        Assert.IsTrue(context.Notes.Any(n => n.Contains("'log_floor'", StringComparison.Ordinal) && n.Contains("under 64 values", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Emulate_TransformerBlock_RoundsLikeFloat16AndStaysAbove0999()
    {
        var model = TransformerBlockModel.Create();
        var samples = RandomSamples(Float16TestModels.Input, [2, 8, 32], 4, seed: 13);
        var (converted, _, _) = Convert(model, samples);

        var emulation = ReducedPrecisionEmulation.Create(converted);
        var expected = RunAll(model, samples);
        var emulated = RunAll(emulation, samples);
        var cpu = RunAll(converted, samples);

        var cosine = Cosine(expected, emulated);
        var drift = expected.Zip(emulated, (a, b) => MathF.Abs(a - b)).Max();
        var cpuDrift = expected.Zip(cpu, (a, b) => MathF.Abs(a - b)).Max();
        TestContext.WriteLine($"emulated cosine {cosine:F7}, max error emulated {drift:G4} vs CPU run {cpuDrift:G4}");
        Assert.IsGreaterThanOrEqualTo(0.999, cosine);
        Assert.IsGreaterThan(0f, drift, "activations are rounded, so the emulation differs from float32");
        Assert.IsTrue(ModelWalker.AllTensors(emulation).All(t => !ReducedPrecisionEmulation.IsReduced((DataType)t.DataType)), "every stored value is float32");
        var roundings = emulation.Graph.Node.Count(n => n.OpType == "Cast" && Attributes.GetInt(n, "to", 0) == (long)DataType.Float16);
        Assert.IsGreaterThanOrEqualTo(converted.Graph.Node.Count(n => n.OpType is "MatMul" or "Softmax" or "LayerNormalization"), roundings, "every float16 op output is rounded");
    }

    [TestMethod]
    public void Emulate_LoopAndIfBodies_RoundInsideTheBodies()
    {
        var loop = Float16TestModels.LoopCarried();
        var loopSamples = RandomSamples(Float16TestModels.Input, [3, 16], 3, seed: 41);
        var iffy = Float16TestModels.IfWrapped();
        var ifSamples = RandomSamples(Float16TestModels.Input, [3, 16], 4, seed: 17,
            extra: s => new CalibrationTensor("cond", DataType.Bool, [], new[] { s % 2 == 0 }));

        foreach (var (model, samples) in new[] { (loop, loopSamples), (iffy, ifSamples) })
        {
            var (converted, _, _) = Convert(model, samples);
            var emulation = ReducedPrecisionEmulation.Create(converted);

            var cosine = Cosine(RunAll(model, samples), RunAll(emulation, samples));
            TestContext.WriteLine($"{model.Graph.Name}: emulated cosine {cosine:F7}");
            Assert.IsGreaterThanOrEqualTo(0.999, cosine);
            var bodies = ModelWalker.AllGraphs(emulation).Skip(1).ToList();
            Assert.IsTrue(bodies.All(b => b.Node.Any(n => n.OpType == "Cast" && Attributes.GetInt(n, "to", 0) == (long)DataType.Float16)), "each body rounds its own outputs");
            Assert.IsTrue(bodies.All(b => b.Input.Concat(b.Output).All(i => i.Type.TensorType.ElemType != (int)DataType.Float16)), "body signatures are float32");
        }
    }

    [TestMethod]
    public void Verify_Float16InputsAndOutputs_AreFedFloat32SamplesThroughTheEmulation()
    {
        var model = TransformerBlockModel.Create();
        var samples = RandomSamples(Float16TestModels.Input, [2, 8, 32], 2, seed: 29);
        var (converted, _, _) = Convert(model, samples, new Float16Options { KeepIoTypes = false });

        var fidelity = FidelityVerifier.Verify(FidelityVerifier.ReferenceOutputs(model, samples.Samples), converted, samples.Samples, VerificationPath.Float16Emulation);

        Assert.AreEqual(2, fidelity.Samples);
        Assert.IsGreaterThanOrEqualTo(0.999, fidelity.Cosine);
    }

    [TestMethod]
    public void Emulate_Bfloat16Model_RunsWhereOrtCpuHasNoKernels()
    {
        var model = TransformerBlockModel.Create();
        var samples = RandomSamples(Float16TestModels.Input, [2, 8, 32], 4, seed: 13);
        var (converted, _, _) = Convert(model, samples, new Float16Options { Precision = ReducedPrecision.Bfloat16 });

        var error = Assert.ThrowsExactly<Diagnostics.OptimizerException>(() => ModelSession.Create(converted, "bfloat16 model").Dispose());
        var fidelity = FidelityVerifier.Verify(FidelityVerifier.ReferenceOutputs(model, samples.Samples), converted, samples.Samples, VerificationPath.Bfloat16Emulation);

        TestContext.WriteLine($"ORT CPU: {error.Message}");
        TestContext.WriteLine($"bfloat16 emulated cosine {fidelity.Cosine:F6}, max error {fidelity.MaxAbsError:G4}");
        Assert.AreEqual("OPT2005", error.Code);
        Assert.IsGreaterThanOrEqualTo(0.999, fidelity.Cosine);
    }
}
