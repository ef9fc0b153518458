using Optimizer.Core.Passes.Pruning;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Pruning.PruningTestSupport;

namespace Optimizer.Core.Tests.Pruning;

/// <summary>Channel pruning through Resize, Slice, Split, Squeeze/Unsqueeze, Transpose, Clip/HardSwish and per-channel Mul.</summary>
[TestClass]
public sealed class AxisMovePruningTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(11, 0.3, 7, 0.9)]
    [DataRow(14, 0.5, 5, 0.8)]
    public void ChannelPrune_ThroughAxisMoves_HasTheParametersOfTheNarrowerNetAndKeepsCosine(int opset, double sparsity, int narrowerWidth, double budget)
    {
        var original = AxisMoveModels.Create(width: 10, opset);
        var calibration = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 8, seed: 3);
        var heldOut = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 4, seed: 4);

        var (pruned, context, sink) = Prune(original, calibration, new PruningOptions { ChannelMultiple = 1, Sparsity = sparsity });
        var (plain, _, _) = Prune(original, calibration, new PruningOptions { ChannelMultiple = 1, Sparsity = sparsity, Reconstruction = false });

        var cosine = Fidelity(original, pruned, heldOut);
        var plainCosine = Fidelity(original, plain, heldOut);
        TestContext.WriteLine($"opset {opset}, sparsity {sparsity}: cosine {cosine:F5} (without reconstruction {plainCosine:F5})\n{string.Join("\n", context.Notes)}");
        Assert.IsGreaterThan(plainCosine, cosine, "the refit of conv1 (after Squeeze) and of the head (after Transpose) must help");
        Assert.AreEqual(Parameters(AxisMoveModels.Create(narrowerWidth, opset)), Parameters(pruned));
        Assert.IsGreaterThanOrEqualTo(budget, cosine);
        Assert.IsEmpty(sink.Warnings);
        Assert.IsTrue(context.Notes.Any(n => n.Contains("kept all 10 channels of head", StringComparison.Ordinal)), "the head's outputs are the graph output");
    }

    [TestMethod]
    [DataRow(AxisMoveModels.Blocker.SliceChannels, "Slice 'crop' slices the channel axis")]
    [DataRow(AxisMoveModels.Blocker.ResizeSizes, "Resize 'upsample' writes out its output sizes")]
    public void ChannelPrune_OpTouchingTheChannelAxis_KeepsThatGroupWithANoteAndPrunesTheOthers(AxisMoveModels.Blocker blocker, string reason)
    {
        var original = AxisMoveModels.Create(width: 8, opset: 13, blocker);
        var calibration = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 4, seed: 3);

        var (pruned, context, _) = Prune(original, calibration, new PruningOptions { ChannelMultiple = 1, Sparsity = 0.5 });

        var weights = pruned.Graph.Initializer.ToDictionary(i => i.Name);
        CollectionAssert.AreEqual(new long[] { 8, 3, 3, 3 }, weights["conv0.weight"].Dims.ToArray());
        CollectionAssert.AreEqual(new long[] { 8, 8, 3, 3 }, weights["conv1.weight"].Dims.ToArray());
        Assert.IsTrue(context.Notes.Any(n => n.Contains("kept all 8 channels of conv0", StringComparison.Ordinal) && n.Contains(reason, StringComparison.Ordinal)),
            string.Join("\n", context.Notes));
        Assert.IsGreaterThanOrEqualTo(0.8, Fidelity(original, pruned, calibration), "the pruned model runs in ORT and tracks the original");
    }
}
