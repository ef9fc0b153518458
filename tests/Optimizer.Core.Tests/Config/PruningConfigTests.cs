using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Passes.Pruning;
using Optimizer.Core.Profiles;

namespace Optimizer.Core.Tests.Config;

[TestClass]
public sealed class PruningConfigTests
{
    private const string File = "/m/compression.yaml";

    [TestMethod]
    public void RootPruning_AppliesToEveryProfile_AndAProfileOverridesTheKeysItSets()
    {
        var config = ConfigLoader.Parse("""
            version: 1
            pruning:
              method: channel
              sparsity: 30%
              criterion: apoz
              schedule: sensitivity
              exclude: [fc, "stage2.*"]
              reconstruction: false
            profiles:
              cpu-int8: {}
              gpu-fp16: {}
              edge: { extends: cpu-int8, pruning: { sparsity: 0.7 } }
            """, File);

        var profiles = ProfileResolver.Resolve(config, []);
        var options = profiles.ToDictionary(p => p.Name, p => ProfilePasses.PruningOptionsFor(p.Pruning!, "/cache"));

        Assert.AreEqual(0.3, options["cpu-int8"].Sparsity, 1e-12);
        Assert.AreEqual(0.3, options["gpu-fp16"].Sparsity, 1e-12);
        Assert.AreEqual(0.7, options["edge"].Sparsity, 1e-12);
        Assert.AreEqual(PruningMethod.Channel, options["edge"].Method);
        Assert.AreEqual(PruningCriterion.Apoz, options["edge"].Criterion);
        Assert.AreEqual(PruningSchedule.Sensitivity, options["edge"].Schedule);
        Assert.IsFalse(options["edge"].Reconstruction);
        CollectionAssert.AreEqual(new[] { "fc", "stage2.*" }, options["edge"].Exclude.ToArray());
        Assert.AreEqual("/cache", options["edge"].CacheDirectory);
    }

    [TestMethod]
    public void ProfilePasses_RunPruningFirst_OnlyWhenConfigured()
    {
        var pruned = ConfigLoader.Parse("version: 1\nprofiles:\n  edge: { extends: cpu-int8, pruning: { method: magnitude, sparsity: 0.5 } }\n  gpu-fp16: {}\n", File);

        var edge = ProfilePasses.Create(ProfileResolver.Resolve(pruned, ["edge"]).Single(), pruned.Calibration);
        var fp16 = ProfilePasses.Create(ProfileResolver.Resolve(pruned, ["gpu-fp16"]).Single(), pruned.Calibration);

        CollectionAssert.AreEqual(new[] { "prune-magnitude", "quantize-int8" }, edge.Select(p => p.Name).ToArray());
        Assert.IsFalse(fp16.Any(p => p is PruningPass), "a profile without pruning settings, under a root without them, does not prune");
    }

    [TestMethod]
    [DataRow("sparsity: 1.5", 4)]
    [DataRow("sparsity: 0.99", 4)]
    [DataRow("sparsity: lots", 4)]
    [DataRow("method: structured", 3)]
    [DataRow("criterion: l3", 5)]
    public void InvalidPruningValue_IsOpt1003AtItsLine(string entry, int line)
    {
        var lines = new List<string> { "version: 1", "pruning:", "  method: channel", "  sparsity: 0.5", "  criterion: l1" };
        var key = entry.Split(':')[0];
        lines[lines.FindIndex(l => l.TrimStart().StartsWith(key + ":", StringComparison.Ordinal))] = "  " + entry;

        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse(string.Join("\n", lines) + "\n", File));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual(File, error.File);
        Assert.AreEqual(line, error.Line);
        StringAssert.Contains(error.Message, $"pruning.{key}");
    }

    [TestMethod]
    public void ProfileSparsityOutOfRange_NamesTheProfileSection()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse(
            "version: 1\nprofiles:\n  edge:\n    extends: cpu-int8\n    pruning: { sparsity: 1.5 }\n", File));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual(5, error.Line);
        StringAssert.Contains(error.Message, "profiles.edge.pruning.sparsity");
    }

    [TestMethod]
    public void TuningKeys_ReachThePruningOptions_AndDefaultToTheOldConstants()
    {
        var config = ConfigLoader.Parse("""
            version: 1
            pruning: { samples: 32, channel_multiple: 4, min_layer_cosine: 90%, sensitivity_reconstruction: true }
            profiles:
              cpu-int8: {}
              edge: { extends: cpu-int8, pruning: { channel_multiple: 1 } }
            """, File);

        var options = ProfileResolver.Resolve(config, []).ToDictionary(p => p.Name, p => ProfilePasses.PruningOptionsFor(p.Pruning!, null));
        var defaults = ProfilePasses.PruningOptionsFor(new PruningSettings(), null);

        Assert.AreEqual(32, options["cpu-int8"].MaxSamples);
        Assert.AreEqual(4, options["cpu-int8"].ChannelMultiple);
        Assert.AreEqual(0.9, options["cpu-int8"].SensitivityFloor, 1e-12);
        Assert.IsTrue(options["edge"].SensitivityReconstruction);
        Assert.IsFalse(defaults.SensitivityReconstruction);
        Assert.AreEqual(1, options["edge"].ChannelMultiple);
        Assert.AreEqual(32, options["edge"].MaxSamples);
        Assert.AreEqual((16, 8, 0.5), (defaults.MaxSamples, defaults.ChannelMultiple, defaults.SensitivityFloor));
    }

    [TestMethod]
    [DataRow("samples: 0")]
    [DataRow("samples: 2.5")]
    [DataRow("channel_multiple: 65")]
    [DataRow("channel_multiple: eight")]
    [DataRow("min_layer_cosine: 1.2")]
    [DataRow("sensitivity_reconstruction: maybe")]
    public void InvalidTuningKey_IsOpt1003AtItsLine(string entry)
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse($"version: 1\npruning:\n  method: channel\n  {entry}\n", File));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual(4, error.Line);
        StringAssert.Contains(error.Message, $"pruning.{entry.Split(':')[0]}");
    }

    [TestMethod]
    public void MisspelledPruningKey_IsOpt1002WithSuggestion()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse("version: 1\npruning:\n  sparsty: 0.5\n", File));

        Assert.AreEqual(ErrorCodes.ConfigUnknownKey, error.Code);
        Assert.AreEqual(3, error.Line);
        StringAssert.Contains(error.Message, "'sparsity'");
    }
}
