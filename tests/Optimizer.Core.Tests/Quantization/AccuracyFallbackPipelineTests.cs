using Google.Protobuf;
using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>The accuracy fallback as a build meets it: budgets in compression.yaml, checked again by the pipeline.</summary>
[TestClass]
public sealed class AccuracyFallbackPipelineTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Pipeline_TightCosineBudget_FallbackMeetsItAndTheReportNamesWhatStayedFloat()
    {
        var outcome = Compress("min_cosine: 0.999").Single();

        var notes = outcome.Report.Passes.Single(p => p.Name == "quantize-int8").Notes;
        TestContext.WriteLine($"cosine {outcome.Report.Fidelity.Cosine:F5}; {string.Join(" | ", notes)}");
        Assert.IsGreaterThanOrEqualTo(0.999, outcome.Report.Fidelity.Cosine);
        StringAssert.Contains(notes.Single(n => n.StartsWith("accuracy fallback", StringComparison.Ordinal)), OutlierBranchModel.SensitiveNode);
    }

    [TestMethod]
    public void Pipeline_UnreachableBudget_FailsWithOpt4001AndTheBestFigure()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => Compress("min_cosine: 0.99999999"));

        TestContext.WriteLine(error.Message);
        Assert.AreEqual(ErrorCodes.BudgetFidelity, error.Code);
        StringAssert.Contains(error.Message, "cosine similarity 0.99");
        Assert.AreEqual(4, error.Line, "the error points at the budget's line");
    }

    private IReadOnlyList<ProfileOutcome> Compress(string budget)
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-int8-fallback-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "net.onnx");
            File.WriteAllBytes(modelPath, OutlierBranchModel.Create().ToByteArray());
            var calibration = Directory.CreateDirectory(Path.Combine(folder, "calibration")).FullName;
            foreach (var sample in ModelRuns.RandomSamples(OutlierBranchModel.Input, [8, OutlierBranchModel.Features], 8, seed: 1).Samples)
            {
                NpyWriter.Write(Path.Combine(calibration, $"{sample.Id}.npy"), sample.Inputs[0]);
            }

            File.WriteAllText(Path.Combine(folder, "compression.yaml"), $"version: 1\nprofiles:\n  cpu-int8:\n    budgets: {{ {budget} }}\n");
            return new Pipeline(new RecordingSink()).Run(new CompressionRequest
            {
                ModelPath = modelPath,
                Profiles = ["cpu-int8"],
                OutputDirectory = Path.Combine(folder, "out"),
            });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
