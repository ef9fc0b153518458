using Google.Protobuf;
using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Verification;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Verification;

[TestClass]
public sealed class BudgetCheckTests
{
    [TestMethod]
    public void Pipeline_LatencyBudgetNoModelCanMeet_FailsWithOPT4004AtTheBudgetLine_AndWritesNothing()
    {
        var folder = WriteConvNet("version: 1\nbudgets:\n  max_latency_ratio: 0.01\n");

        var error = Assert.ThrowsExactly<OptimizerException>(() => new Pipeline(new RecordingSink()).Run(Request(folder)));

        Assert.AreEqual(ErrorCodes.BudgetLatency, error.Code);
        Assert.AreEqual(Path.Combine(folder, "compression.yaml"), error.File);
        Assert.AreEqual(3, error.Line);
        StringAssert.Contains(error.Message, "over the budget max_latency_ratio 0.01");
        StringAssert.Matches(error.Message, new System.Text.RegularExpressions.Regex(@"runs in [0-9.]+ ms vs [0-9.]+ ms for the original \([0-9.]+x, median of \d+ single-thread runs"));
        Assert.AreEqual(0, Directory.GetFiles(Path.Combine(folder, "out")).Length, "a broken budget must write no model");
    }

    [TestMethod]
    public void Pipeline_BudgetsAsWarnings_WarnsWithTheCodeAndLine_WritesTheModel_AndRecordsMeasurementsInTheReport()
    {
        var folder = WriteConvNet("version: 1\nbudgets:\n  min_cosine: 0.9\n  max_latency_ratio: 0.01\n");
        var sink = new RecordingSink();

        var outcome = new Pipeline(sink).Run(Request(folder) with { BudgetsAsWarnings = true }).Single();

        var warning = sink.Warnings.Single(w => w.Code == ErrorCodes.BudgetLatency);
        Assert.AreEqual(4, warning.Line);
        Assert.IsTrue(File.Exists(outcome.OutputPath));
        var report = outcome.Report;
        Assert.IsNotNull(report.Latency);
        Assert.IsTrue(report.Latency.OriginalMilliseconds > 0 && report.Latency.OptimizedMilliseconds > 0, $"{report.Latency}");
        Assert.IsTrue(report.Latency.Rounds is >= LatencyMeter.MinRounds and <= LatencyMeter.MaxRounds, $"{report.Latency.Rounds} rounds");
        var cosine = report.Budgets.Single(b => b.Budget == "min_cosine");
        Assert.IsTrue(cosine.Passed);
        Assert.AreEqual(report.Fidelity.Cosine, cosine.Measured);
        var latency = report.Budgets.Single(b => b.Budget == "max_latency_ratio");
        Assert.IsFalse(latency.Passed);
        Assert.AreEqual(report.Latency.Ratio, latency.Measured, 1e-12);
    }

    [TestMethod]
    public void Evaluate_Top1Disagreement_MeasuresTheWorstOutput_AndFailsWithOPT4003()
    {
        var at = new SourceLocation("/m/compression.yaml", 5, 26);
        var budgets = new BudgetSettings { MaxTop1Disagreement = 0.01, MaxTop1DisagreementAt = at };
        var fidelity = new FidelityReport([new OutputFidelity("logits", 0.999, 0.01, 0.96), new OutputFidelity("aux", 0.999, 0.01, 0.99)], 50);

        var results = BudgetCheck.Evaluate(budgets, "cpu-int8", fidelity, 1000, latency: null);
        var error = Assert.ThrowsExactly<OptimizerException>(() => BudgetCheck.Enforce(results, asWarnings: false, new RecordingSink()));

        Assert.AreEqual(0.04, results.Single().Measured, 1e-12);
        Assert.AreEqual(ErrorCodes.BudgetTop1Disagreement, error.Code);
        Assert.AreEqual((at.File, 5, 26), (error.File, error.Line, error.Column));
        StringAssert.Contains(error.Message, "on 4% of 50 samples, over the budget max_top1_disagreement 1%");
    }

    [TestMethod]
    public void Evaluate_Top1BudgetOnOutputsWithoutClassAxis_FailsWithOPT4005()
    {
        var budgets = new BudgetSettings { MaxTop1Disagreement = 0.01, MaxTop1DisagreementAt = new SourceLocation("/m/c.yaml", 3, 3) };
        var fidelity = new FidelityReport([new OutputFidelity("embedding", 0.999, 0.01, null)], 8);

        var error = Assert.ThrowsExactly<OptimizerException>(() => BudgetCheck.Evaluate(budgets, "cpu-int8", fidelity, 1000, latency: null));

        Assert.AreEqual(ErrorCodes.BudgetUnmeasurable, error.Code);
        Assert.AreEqual(3, error.Line);
        StringAssert.Contains(error.Message, "embedding");
    }

    [TestMethod]
    public void Enforce_SeveralBroken_FailsOnTheFirst_AndNamesTheOthers()
    {
        var budgets = new BudgetSettings { MinCosine = 0.9999, MaxSizeBytes = 10 };
        var results = BudgetCheck.Evaluate(budgets, "gpu-fp16", new FidelityReport([new OutputFidelity("y", 0.99, 0.1, null)], 4), 2048, latency: null);

        var error = Assert.ThrowsExactly<OptimizerException>(() => BudgetCheck.Enforce(results, asWarnings: false, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.BudgetFidelity, error.Code);
        StringAssert.Contains(error.Message, "1 more budget(s) broken: max_size");
    }

    private static string WriteConvNet(string yaml)
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-budgets-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "net.onnx"), ConvNetModel.Create().ToByteArray());
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), yaml);
        return folder;
    }

    private static CompressionRequest Request(string folder) => new()
    {
        ModelPath = Path.Combine(folder, "net.onnx"),
        Profiles = ["cpu-int8"],
        OutputDirectory = Directory.CreateDirectory(Path.Combine(folder, "out")).FullName,
    };
}
