using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Profiles;

namespace Optimizer.Core.Tests.Config;

[TestClass]
public sealed class BudgetConfigTests
{
    private const string File = "/models/compression.yaml";

    [TestMethod]
    public void Parse_Top1AndLatencyBudgets_ReadsValuesAndLines_AndProfilesOverrideThem()
    {
        var config = ConfigLoader.Parse("""
            version: 1
            budgets:
              max_top1_disagreement: 1%
              max_latency_ratio: 0.8
            profiles:
              gpu-fp16:
                budgets: { max_latency_ratio: 1.1 }
              cpu-int8:
            """, File);

        var profiles = ProfileResolver.Resolve(config, []);

        var fp16 = profiles.Single(p => p.Name == "gpu-fp16").Budgets;
        var int8 = profiles.Single(p => p.Name == "cpu-int8").Budgets;
        Assert.AreEqual(0.01, int8.MaxTop1Disagreement!.Value, 1e-12);
        Assert.AreEqual(3, int8.MaxTop1DisagreementAt!.Line);
        Assert.AreEqual(0.8, int8.MaxLatencyRatio!.Value, 1e-12);
        Assert.AreEqual(4, int8.MaxLatencyRatioAt!.Line);
        Assert.AreEqual(1.1, fp16.MaxLatencyRatio!.Value, 1e-12);
        Assert.AreEqual(7, fp16.MaxLatencyRatioAt!.Line);
        Assert.AreEqual(0.01, fp16.MaxTop1Disagreement!.Value, 1e-12, "a profile inherits the budgets it does not override");
    }

    [TestMethod]
    public void Parse_Top1DisagreementAsFraction_EqualsThePercentageForm()
    {
        var config = ConfigLoader.Parse("version: 1\nbudgets:\n  max_top1_disagreement: 0.01\n", File);

        Assert.AreEqual(0.01, config.Budgets.MaxTop1Disagreement!.Value, 1e-12);
    }

    [TestMethod]
    [DataRow("max_latency_ratio: fast", 3)]
    [DataRow("max_latency_ratio: 0", 3)]
    [DataRow("max_top1_disagreement: 150%", 3)]
    public void Parse_InvalidBudgetValue_FailsWithOPT1003AtItsLine(string budget, int line)
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ConfigLoader.Parse($"version: 1\nbudgets:\n  {budget}\n", File));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual(line, error.Line);
    }
}
