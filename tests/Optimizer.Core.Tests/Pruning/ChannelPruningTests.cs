using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Pruning;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Pruning.PruningTestSupport;

namespace Optimizer.Core.Tests.Pruning;

[TestClass]
public sealed class ChannelPruningTests
{
    private static readonly long[] ImageShape = [2, 3, 16, 16];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(0.3, 14, 0.97)]
    [DataRow(0.5, 10, 0.95)]
    public void ChannelPrune_ResidualNet_HasTheParametersOfTheNarrowerNetAndKeepsCosine(double sparsity, int narrowerWidth, double budget)
    {
        // Every group of the width-20 net loses exactly its share, so the result has the parameters of the net built narrower.
        var original = ResidualNetModel.Create(width: 20, imageSize: 16);
        var expected = Parameters(ResidualNetModel.Create(width: narrowerWidth, imageSize: 16));

        var (plain, refitted) = PruneBothWays(original, ResidualNetModel.Input, sparsity);

        Assert.AreEqual(expected, Parameters(plain.Model));
        Assert.AreEqual(expected, Parameters(refitted.Model));
        Assert.IsGreaterThanOrEqualTo(budget, refitted.Cosine);
        Assert.IsGreaterThan(plain.Cosine, refitted.Cosine, "reconstruction must beat plain pruning");
        Assert.IsTrue(refitted.Notes.Any(n => n.Contains("stage0.conv2+stem", StringComparison.Ordinal)), "the residual group prunes both branches together");
    }

    [TestMethod]
    [DataRow(0.3, 7, 0.98)]
    [DataRow(0.5, 5, 0.98)]
    public void ChannelPrune_DepthwiseNet_HasTheParametersOfTheNarrowerNetAndKeepsCosine(double sparsity, int narrowerWidth, double budget)
    {
        var original = DepthwiseNetModel.Create(width: 10, imageSize: 16);
        var expected = Parameters(DepthwiseNetModel.Create(width: narrowerWidth, imageSize: 16));

        var (plain, refitted) = PruneBothWays(original, DepthwiseNetModel.Input, sparsity);

        Assert.AreEqual(expected, Parameters(plain.Model));
        Assert.AreEqual(expected, Parameters(refitted.Model));
        Assert.IsGreaterThanOrEqualTo(budget, refitted.Cosine);
        Assert.IsGreaterThan(plain.Cosine, refitted.Cosine, "reconstruction must beat plain pruning");
        var depthwise = refitted.Model.Graph.Node.Single(n => n.Name == "block1.depthwise");
        Assert.AreEqual(40 - (long)Math.Round(40 * sparsity), Attributes.GetInt(depthwise, "group", 0), "the depthwise group count follows its channels");
    }

    [TestMethod]
    public void ChannelPrune_ConvNetHalf_WithReconstructionKeepsCosineAbove098()
    {
        var (plain, refitted) = PruneBothWays(ConvNetModel.Create(width: 32), ConvNetModel.Input, 0.5);

        Assert.IsGreaterThanOrEqualTo(0.98, refitted.Cosine);
        Assert.IsGreaterThan(plain.Cosine + 0.1, refitted.Cosine);
    }

    [TestMethod]
    public void ChannelPrune_ConcatAndFlattenOfAFeatureMap_SlicesOffsetsAndFeatureBlocks()
    {
        var original = PruningTestModels.ConcatFlatten(width: 8);
        var calibration = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 8, seed: 3);
        var heldOut = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 4, seed: 4);

        var (pruned, context, _) = Prune(original, calibration, new PruningOptions { ChannelMultiple = 1, Sparsity = 0.5 });

        var cosine = Fidelity(original, pruned, heldOut);
        TestContext.WriteLine($"cosine {cosine:F5}\n{string.Join("\n", context.Notes)}");
        Assert.AreEqual(Parameters(PruningTestModels.ConcatFlatten(width: 4)), Parameters(pruned));
        Assert.IsGreaterThanOrEqualTo(0.9, cosine, "the Gemm after Flatten sees one row per image, so its refit is mostly regularisation");
    }

    [TestMethod]
    public void ChannelPrune_ReshapeToAFixedSize_KeepsThatGroupWithANoteAndPrunesTheOthers()
    {
        var original = PruningTestModels.FixedReshape(twoConvs: true);
        var calibration = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 4, seed: 3);

        var (pruned, context, sink) = Prune(original, calibration, new PruningOptions { ChannelMultiple = 1, Sparsity = 0.5 });

        var initializers = pruned.Graph.Initializer.ToDictionary(i => i.Name);
        CollectionAssert.AreEqual(new long[] { 4, 3, 3, 3 }, initializers["conv0.weight"].Dims.ToArray());
        CollectionAssert.AreEqual(new long[] { 8, 4, 3, 3 }, initializers["conv1.weight"].Dims.ToArray());
        Assert.IsTrue(context.Notes.Any(n => n.Contains("kept all 8 channels of conv1", StringComparison.Ordinal) && n.Contains("Reshape 'reshape'", StringComparison.Ordinal)),
            string.Join("\n", context.Notes));
        Assert.IsEmpty(sink.Warnings);
        Assert.IsGreaterThanOrEqualTo(0.8, Fidelity(original, pruned, calibration), "the pruned model runs in ORT and tracks the original");
    }

    [TestMethod]
    public void ChannelPrune_NothingPrunable_WarnsOpt5010AndLeavesTheModelByteIdentical()
    {
        var original = PruningTestModels.FixedReshape(twoConvs: false);
        var calibration = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 2, seed: 3);

        var (pruned, context, sink) = Prune(original, calibration, new PruningOptions { ChannelMultiple = 1, Sparsity = 0.5 });

        CollectionAssert.AreEqual(ModelFile.ToBytes(original), ModelFile.ToBytes(pruned));
        Assert.AreEqual(ErrorCodes.PruningNothingPrunable, sink.Warnings.Single().Code);
        Assert.IsTrue(context.Notes.Any(n => n.Contains("Reshape 'reshape' reshapes it to the fixed shape [-1, 512]", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void ChannelPrune_Apoz_RemovesTheChannelReluAlwaysZeroes_WithoutChangingOutputs()
    {
        var original = PruningTestModels.DeadChannel(dead: 5);
        var calibration = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 4, seed: 3);

        var (pruned, _, _) = Prune(original, calibration,
            new PruningOptions { ChannelMultiple = 1, Sparsity = 1.0 / 8, Criterion = PruningCriterion.Apoz, Reconstruction = false });

        var bias = TensorValues.ReadFloats(pruned.Graph.Initializer.Single(i => i.Name == "conv.bias"));
        Assert.HasCount(7, bias);
        Assert.IsFalse(bias.Contains(-1000f), "the dead channel is the one removed");
        Assert.IsGreaterThanOrEqualTo(0.999999, Fidelity(original, pruned, calibration));
    }

    [TestMethod]
    public void ChannelPrune_DefaultAlignment_KeepsMultiplesOfEightChannels()
    {
        var calibration = ModelRuns.RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 3);

        // 30% of 16, 32 and 64 channels leaves 11, 22 and 45: rounded to blocks of 8, ORT's convolution block size.
        var (pruned, _, _) = Prune(ConvNetModel.Create(width: 16), calibration, new PruningOptions { Sparsity = 0.3 });

        var weights = pruned.Graph.Initializer.ToDictionary(i => i.Name);
        CollectionAssert.AreEqual(new long[] { 8, 24, 48 }, new[] { "conv0.weight", "conv1.weight", "conv2.weight" }.Select(n => weights[n].Dims[0]).ToArray());
    }

    [TestMethod]
    public void ChannelPrune_ExcludedLayer_KeepsItsOutputChannels()
    {
        var calibration = ModelRuns.RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 3);

        var (pruned, _, _) = Prune(ConvNetModel.Create(width: 8), calibration, new PruningOptions { ChannelMultiple = 1, Sparsity = 0.5, Exclude = ["conv1"] });

        var weights = pruned.Graph.Initializer.ToDictionary(i => i.Name);
        CollectionAssert.AreEqual(new long[] { 4, 3, 3, 3 }, weights["conv0.weight"].Dims.ToArray());
        CollectionAssert.AreEqual(new long[] { 16, 4, 3, 3 }, weights["conv1.weight"].Dims.ToArray());
        CollectionAssert.AreEqual(new long[] { 16, 16, 3, 3 }, weights["conv2.weight"].Dims.ToArray());
    }

    private (PruneResult Plain, PruneResult Refitted) PruneBothWays(ModelProto original, string input, double sparsity)
    {
        var calibration = ModelRuns.RandomSamples(input, ImageShape, count: 8, seed: 3);
        var heldOut = ModelRuns.RandomSamples(input, ImageShape, count: 4, seed: 4);
        PruneResult Run(bool reconstruction)
        {
            var (pruned, context, sink) = Prune(original, calibration, new PruningOptions { ChannelMultiple = 1, Sparsity = sparsity, Reconstruction = reconstruction });
            var cosine = Fidelity(original, pruned, heldOut);
            TestContext.WriteLine($"sparsity {sparsity}, reconstruction {reconstruction}: cosine {cosine:F5}, parameters {Parameters(original)} -> {Parameters(pruned)}");
            Assert.IsEmpty(sink.Warnings);
            return new PruneResult(pruned, cosine, context.Notes);
        }

        return (Run(false), Run(true));
    }

    private sealed record PruneResult(ModelProto Model, double Cosine, IReadOnlyList<string> Notes);
}
