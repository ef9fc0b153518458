using Optimizer.Core.Passes.Pruning;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Pruning.PruningTestSupport;

namespace Optimizer.Core.Tests.Pruning;

[TestClass]
public sealed class SensitivityScheduleTests
{
    private static readonly long[] ImageShape = [2, 3, 16, 16];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Sensitivity_PrunesRobustGroupsMore_PrintsTheTableAndReusesItsCache()
    {
        var original = ConvNetModel.Create(width: 16);
        var calibration = ModelRuns.RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 3);
        var cache = Directory.CreateTempSubdirectory("optimizer-sensitivity-").FullName;
        try
        {
            var options = new PruningOptions { ChannelMultiple = 1, Sparsity = 0.4, Schedule = PruningSchedule.Sensitivity, CacheDirectory = cache };
            var (first, firstContext, sink) = Prune(original, calibration, options);
            var (second, secondContext, _) = Prune(original, calibration, options);
            TestContext.WriteLine(string.Join("\n", firstContext.Notes));

            Assert.IsTrue(firstContext.Notes.Any(n => n.StartsWith("sensitivity table cached at", StringComparison.Ordinal)));
            Assert.IsTrue(secondContext.Notes.Any(n => n.StartsWith("sensitivity table reused from", StringComparison.Ordinal)));
            Assert.HasCount(1, Directory.GetFiles(cache, "sensitivity-*.json"));
            var header = firstContext.Notes.Single(n => n.StartsWith("sensitivity (output cosine", StringComparison.Ordinal));
            StringAssert.Contains(header, "10% | 20% | 30% | 40% | 50% | 60% | 70% | 80% | 90%");
            Assert.AreEqual(3, firstContext.Notes.Count(n => n.StartsWith("  conv", StringComparison.Ordinal) && n.Contains(" | ", StringComparison.Ordinal)));
            CollectionAssert.AreEqual(ModelRunsBytes(first), ModelRunsBytes(second), "a cached table gives the same model");
            Assert.IsEmpty(sink.Warnings, "40% is reachable without any group falling below the floor");

            var removed = RemovedShares(firstContext.Notes);
            Assert.AreEqual(0.4 * (16 + 32 + 64), removed.Sum(r => r.Removed), 2);
            Assert.AreNotEqual(removed.Min(r => r.Share), removed.Max(r => r.Share), "groups are pruned by different ratios");
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [TestMethod]
    public void Sensitivity_TargetBeyondTheFloor_WarnsOpt5011AndStopsShort()
    {
        var calibration = ModelRuns.RandomSamples(ConvNetModel.Input, ImageShape, count: 4, seed: 3);

        var (_, _, sink) = Prune(ConvNetModel.Create(width: 16), calibration,
            new PruningOptions { ChannelMultiple = 1, Sparsity = 0.9, Schedule = PruningSchedule.Sensitivity, SensitivityFloor = 0.99 });

        Assert.AreEqual(Core.Diagnostics.ErrorCodes.PruningTargetNotReached, sink.Warnings.Single().Code);
    }

    [TestMethod]
    public void SensitivityWithReconstruction_ShowsTheRefittedCostOfEachGroup()
    {
        var original = ConvNetModel.Create(width: 16);
        var calibration = ModelRuns.RandomSamples(ConvNetModel.Input, ImageShape, count: 8, seed: 3);
        var options = new PruningOptions { ChannelMultiple = 1, Sparsity = 0.4, Schedule = PruningSchedule.Sensitivity };

        var timer = System.Diagnostics.Stopwatch.StartNew();
        var (_, plain, _) = Prune(original, calibration, options);
        var plainSeconds = timer.Elapsed.TotalSeconds;
        timer.Restart();
        var (_, refitted, _) = Prune(original, calibration, options with { SensitivityReconstruction = true });
        TestContext.WriteLine($"analysis and pruning: {plainSeconds:0.00} s without, {timer.Elapsed.TotalSeconds:0.00} s with reconstruction\n{string.Join("\n", refitted.Notes)}");

        Assert.IsTrue(refitted.Notes.Any(n => n.StartsWith("sensitivity measured with reconstruction", StringComparison.Ordinal)));
        var (plainRows, refittedRows) = (TableRows(plain.Notes), TableRows(refitted.Notes));
        Assert.HasCount(3, refittedRows);
        foreach (var (without, with) in plainRows.Zip(refittedRows))
        {
            // At 50% (index 4) every group is followed by a refittable layer (conv1, conv2, the Gemm head).
            Assert.IsGreaterThan(without[4], with[4], $"group row {string.Join(" ", with)}");
        }
    }

    /// <summary>The cosines of each "  conv0 [16] | 0.99 | ..." table line.</summary>
    private static List<double[]> TableRows(IEnumerable<string> notes) =>
        notes.Where(n => n.StartsWith("  conv", StringComparison.Ordinal) && n.Contains(" | ", StringComparison.Ordinal))
            .Select(n => n.Split(" | ").Skip(1).Select(c => double.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();

    private static byte[] ModelRunsBytes(Core.Onnx.Proto.ModelProto model) => Core.Onnx.ModelFile.ToBytes(model);

    /// <summary>Parses the "  conv1: 32 -> 20 channels" notes.</summary>
    private static List<(int Removed, double Share)> RemovedShares(IEnumerable<string> notes) =>
        notes.Where(n => n.EndsWith(" channels", StringComparison.Ordinal) && n.Contains(" -> ", StringComparison.Ordinal))
            .Select(n => n.Split(':')[1].Replace("channels", "", StringComparison.Ordinal).Split("->"))
            .Select(p => (Before: int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), After: int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)))
            .Select(p => (p.Before - p.After, (p.Before - p.After) / (double)p.Before)).ToList();
}
