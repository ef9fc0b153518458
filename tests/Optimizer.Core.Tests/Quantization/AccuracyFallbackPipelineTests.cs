using Google.Protobuf;
using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>The accuracy fallback as a build meets it: budgets in compression.yaml, checked again by the pipeline.</summary>
[TestClass]
public sealed class AccuracyFallbackPipelineTests
{
    private static readonly long[] Shape = [8, OutlierBranchModel.Features];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Pipeline_TightCosineBudget_FallbackMeetsItAndTheReportNamesWhatStayedFloat()
    {
        var outcome = Compress("budgets: { min_cosine: 0.999 }").Single();

        var notes = outcome.Report.Passes.Single(p => p.Name == "quantize-int8").Notes;
        TestContext.WriteLine($"cosine {outcome.Report.Fidelity.Cosine:F5}; {string.Join(" | ", notes)}");
        Assert.IsGreaterThanOrEqualTo(0.999, outcome.Report.Fidelity.Cosine);
        StringAssert.Contains(notes.Single(n => n.StartsWith("accuracy fallback", StringComparison.Ordinal)), OutlierBranchModel.SensitiveNode);
        Assert.IsNull(outcome.Report.ValidationSource);
    }

    [TestMethod]
    public void Pipeline_UnreachableBudget_FailsWithOpt4001AndTheBestFigure()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => Compress("budgets: { min_cosine: 0.99999999 }"));

        TestContext.WriteLine(error.Message);
        Assert.AreEqual(ErrorCodes.BudgetFidelity, error.Code);
        StringAssert.Contains(error.Message, "cosine similarity 0.99");
        Assert.AreEqual(4, error.Line, "the error points at the budget's line");
    }

    [TestMethod]
    public void Pipeline_ValidationData_IsWhereTheBudgetAndTheReportAreMeasured()
    {
        // The validation inputs carry an offset the calibration samples lack: only they reveal the budget is broken.
        var outcome = Compress("budgets: { min_cosine: 0.85 }", validationOffset: 2f).Single();

        var report = outcome.Report;
        var note = report.Passes.Single(p => p.Name == "quantize-int8").Notes.Single(n => n.StartsWith("accuracy", StringComparison.Ordinal));
        TestContext.WriteLine($"cosine {report.Fidelity.Cosine:F5} on {report.Fidelity.Samples} samples from {report.ValidationSource}; {note}");
        StringAssert.EndsWith(report.ValidationSource, "validation");
        Assert.AreEqual(ValidationSamples, report.Fidelity.Samples, "the report's fidelity is measured on the validation samples");
        StringAssert.Contains(note, $"misses the budget (min_cosine 0.85) on {ValidationSamples} validation sample(s)");
        Assert.IsGreaterThanOrEqualTo(0.85, report.Fidelity.Cosine);
    }

    [TestMethod]
    public void Pipeline_MaxFallbackFractionFromYaml_LimitsTheNodesReturned()
    {
        var outcome = Compress("budgets: { min_cosine: 0.99999999 }\n    quantization: { max_fallback_fraction: 5% }", budgetsAsWarnings: true).Single();

        var note = outcome.Report.Passes.Single(p => p.Name == "quantize-int8").Notes.Single(n => n.StartsWith("accuracy", StringComparison.Ordinal));
        TestContext.WriteLine(note);
        StringAssert.Contains(note, "not met even with up to 5% of the quantized nodes in float");
        // 5% of the 11 quantized nodes, rounded up, is 1: the fully quantized model and the one with the most harmful node in float.
        StringAssert.Contains(note, "after 2 evaluation(s)");
    }

    [TestMethod]
    public void Pipeline_ValidationFolderThatDoesNotExist_PointsAtTheYamlLine()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => Compress("budgets: { min_cosine: 0.9 }", validationFolder: "missing/"));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        Assert.AreEqual(6, error.Line);
        StringAssert.Contains(error.Message, "calibration.validation_data names");
    }

    private const int ValidationSamples = 4;

    /// <summary>
    /// Compresses <see cref="OutlierBranchModel"/> with 8 calibration samples and <paramref name="profileSettings"/> under
    /// cpu-int8; with <paramref name="validationOffset"/>, also 4 validation samples shifted by it.
    /// </summary>
    private IReadOnlyList<ProfileOutcome> Compress(string profileSettings, float? validationOffset = null, string? validationFolder = null, bool budgetsAsWarnings = false)
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-int8-fallback-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "net.onnx");
            File.WriteAllBytes(modelPath, OutlierBranchModel.Create().ToByteArray());
            WriteSamples(Path.Combine(folder, "calibration"), ModelRuns.RandomSamples(OutlierBranchModel.Input, Shape, 8, seed: 1), 0f);
            var yaml = $"version: 1\nprofiles:\n  cpu-int8:\n    {profileSettings}\n";
            if (validationOffset is { } offset)
            {
                WriteSamples(Path.Combine(folder, "validation"), ModelRuns.RandomSamples(OutlierBranchModel.Input, Shape, ValidationSamples, seed: 2), offset);
                validationFolder = "validation";
            }

            if (validationFolder is not null)
            {
                yaml += $"calibration:\n  validation_data: {validationFolder}\n";
            }

            File.WriteAllText(Path.Combine(folder, "compression.yaml"), yaml);
            return new Pipeline(new RecordingSink()).Run(new CompressionRequest
            {
                ModelPath = modelPath,
                Profiles = ["cpu-int8"],
                OutputDirectory = Path.Combine(folder, "out"),
                BudgetsAsWarnings = budgetsAsWarnings,
            });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void WriteSamples(string folder, CalibrationSet samples, float offset)
    {
        Directory.CreateDirectory(folder);
        foreach (var sample in samples.Samples)
        {
            var tensor = sample.Inputs[0];
            NpyWriter.Write(Path.Combine(folder, $"{sample.Id}.npy"), tensor with { Data = ((float[])tensor.Data).Select(v => v + offset).ToArray() });
        }
    }
}
