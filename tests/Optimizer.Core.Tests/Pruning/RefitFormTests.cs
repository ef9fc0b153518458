using Optimizer.Core.Passes.Pruning;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Pruning.PruningTestSupport;

namespace Optimizer.Core.Tests.Pruning;

/// <summary>Reconstruction of a Conv with auto_pad and of a Gemm with transA, alpha and beta.</summary>
[TestClass]
public sealed class RefitFormTests
{
    private static readonly PruningOptions HalfTheChannels = new() { ChannelMultiple = 1, Sparsity = 0.5 };

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("SAME_UPPER")]
    [DataRow("SAME_LOWER")]
    [DataRow("VALID")]
    public void ChannelPrune_ConvWithAutoPad_IsRefittedOnItsOwnOutput(string autoPad)
    {
        // conv1's output is a graph output: conv0 loses half its channels and conv1, whose output is measured directly, is refitted.
        var original = RefitFormModels.Create(width: 12, autoPad, exposeConv1: true);

        var (cosine, plainCosine, notes) = PruneBothWays(original);

        Assert.IsTrue(notes.Contains("reconstruction: refitted 1 layers by regularised least squares on 8 calibration samples"), string.Join("\n", notes));
        Assert.IsGreaterThan(plainCosine + 0.1, cosine);
        Assert.IsGreaterThanOrEqualTo(0.85, cosine, "a wrong auto_pad offset refits against shifted patches and lands near 0.3");
    }

    [TestMethod]
    public void ChannelPrune_GemmWithTransAAlphaAndBeta_IsRefittedAndBeatsPlainPruning()
    {
        var original = RefitFormModels.Create(width: 12, "SAME_UPPER");

        var (cosine, plainCosine, notes) = PruneBothWays(original);

        Assert.IsTrue(notes.Contains("reconstruction: refitted 2 layers by regularised least squares on 8 calibration samples"), string.Join("\n", notes));
        Assert.IsTrue(notes.Contains("  conv1: 24 -> 12 channels"), "the channels reach the Gemm's A through Flatten and Transpose");
        Assert.IsGreaterThan(plainCosine + 0.1, cosine);
        Assert.IsGreaterThanOrEqualTo(0.9, cosine);
    }

    private (double Cosine, double PlainCosine, IReadOnlyList<string> Notes) PruneBothWays(Optimizer.Core.Onnx.Proto.ModelProto original)
    {
        var calibration = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 8, seed: 3);
        var heldOut = ModelRuns.RandomSamples(PruningTestModels.Input, PruningTestModels.ImageShape, count: 4, seed: 4);

        var (refitted, context, sink) = Prune(original, calibration, HalfTheChannels);
        var (plain, _, _) = Prune(original, calibration, HalfTheChannels with { Reconstruction = false });

        var cosine = Fidelity(original, refitted, heldOut);
        var plainCosine = Fidelity(original, plain, heldOut);
        TestContext.WriteLine($"cosine {cosine:F5} (without reconstruction {plainCosine:F5})\n{string.Join("\n", context.Notes)}");
        Assert.IsEmpty(sink.Warnings);
        return (cosine, plainCosine, context.Notes);
    }
}
