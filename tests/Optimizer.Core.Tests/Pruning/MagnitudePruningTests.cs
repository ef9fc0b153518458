using Optimizer.Core.Onnx;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Pruning;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Pruning.PruningTestSupport;

namespace Optimizer.Core.Tests.Pruning;

[TestClass]
public sealed class MagnitudePruningTests
{
    private static readonly long[] ImageShape = [2, 3, 16, 16];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Magnitude_LayerScope_ZeroesExactlyTheShareOfEachWeightAndKeepsShapes()
    {
        var original = ConvNetModel.Create(width: 16);
        var calibration = ModelRuns.RandomSamples(ConvNetModel.Input, ImageShape, count: 2, seed: 3);

        var (pruned, context, _) = Prune(original, calibration, new PruningOptions { Method = PruningMethod.Magnitude, Sparsity = 0.6 });

        foreach (var name in new[] { "conv0.weight", "conv1.weight", "conv2.weight", "fc.weight" })
        {
            var values = TensorValues.ReadFloats(pruned.Graph.Initializer.Single(i => i.Name == name));
            Assert.AreEqual((int)Math.Floor(0.6 * values.Length), values.Count(v => v == 0), name);
        }

        Assert.AreEqual(0, TensorValues.ReadFloats(pruned.Graph.Initializer.Single(i => i.Name == "conv0.bias")).Count(v => v == 0), "biases are not pruned");
        Assert.AreEqual(Parameters(original), Parameters(pruned));
        Assert.IsTrue(context.Notes.Any(n => n.Contains("no sparse kernel", StringComparison.Ordinal)));
        Assert.IsGreaterThan(0.5, Fidelity(original, pruned, calibration), "the pruned model still runs in ORT and tracks the original");
    }

    [TestMethod]
    public void Magnitude_GlobalScope_PrunesTheShareOverAllWeightsUnevenly()
    {
        var original = ConvNetModel.Create(width: 16);
        var calibration = ModelRuns.RandomSamples(ConvNetModel.Input, ImageShape, count: 2, seed: 3);

        var (pruned, _, _) = Prune(original, calibration, new PruningOptions { Method = PruningMethod.Magnitude, Sparsity = 0.5, Scope = MagnitudeScope.Global });

        var weights = new[] { "conv0.weight", "conv1.weight", "conv2.weight", "fc.weight" }
            .Select(n => TensorValues.ReadFloats(pruned.Graph.Initializer.Single(i => i.Name == n))).ToList();
        var total = weights.Sum(w => w.Length);
        Assert.AreEqual(total / 2, weights.Sum(w => w.Count(v => v == 0)), 2);
        var shares = weights.Select(w => w.Count(v => v == 0) / (double)w.Length).ToList();
        Assert.IsGreaterThan(0.1, shares.Max() - shares.Min(), "layers with smaller weights (the wide conv2, He-initialised) lose more");
    }

    [TestMethod]
    [DataRow(0.5)]
    [DataRow(0.8)]
    public void Magnitude_ThenInt8_CompressesBetterThanInt8Alone(double sparsity)
    {
        var original = ConvNetModel.Create(width: 32);
        var calibration = ModelRuns.RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 3);

        var int8 = new QdqQuantizationPass().Apply(original.Clone(), new PassContext(calibration, new RecordingSink()));
        var (pruned, _, _) = Prune(original, calibration, new PruningOptions { Method = PruningMethod.Magnitude, Sparsity = sparsity });
        var prunedInt8 = new QdqQuantizationPass().Apply(pruned, new PassContext(calibration, new RecordingSink()));

        var (plainSize, prunedSize) = (ModelSizes.Of(int8), ModelSizes.Of(prunedInt8));
        TestContext.WriteLine($"int8 {plainSize}; magnitude {sparsity:P0} + int8 {prunedSize}");
        Assert.IsLessThan(plainSize.CompressedBytes * (1 - (sparsity / 3)), prunedSize.CompressedBytes);
        Assert.AreEqual(plainSize.Bytes, prunedSize.Bytes, plainSize.Bytes / 100.0, "zeros do not shrink the uncompressed file");
    }
}
