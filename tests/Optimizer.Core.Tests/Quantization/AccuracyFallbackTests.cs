using Optimizer.Core.Calibration;
using Optimizer.Core.Passes.Quantization;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Quantization.QuantizationTestSupport;
using static Optimizer.TestModels.ModelRuns;

namespace Optimizer.Core.Tests.Quantization;

[TestClass]
public sealed class AccuracyFallbackTests
{
    private static readonly long[] Shape = [8, OutlierBranchModel.Features];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Quantize_OutlierBranchWithTightBudget_KeepsTheSensitiveLayerInFloatAndMeetsTheBudget()
    {
        var original = OutlierBranchModel.Create();
        var calibration = RandomSamples(OutlierBranchModel.Input, Shape, count: 8, seed: 1);
        var heldOut = RandomSamples(OutlierBranchModel.Input, Shape, count: 4, seed: 2);
        var expected = RunAll(original, heldOut);
        var budget = new QuantizationBudget { MinCosine = 0.999 };

        var unguarded = new QdqQuantizationPass().Apply(original.Clone(), Context(calibration, out _));
        var context = Context(calibration, out _);
        var guarded = new QdqQuantizationPass(new QuantizationOptions { Budget = budget }).Apply(original.Clone(), context);

        var unguardedCosine = Cosine(expected, RunAll(unguarded, heldOut));
        var guardedCosine = Cosine(expected, RunAll(guarded, heldOut));
        var note = context.Notes.Single(n => n.StartsWith("accuracy fallback", StringComparison.Ordinal));
        TestContext.WriteLine($"held-out cosine without fallback {unguardedCosine:F5}, with {guardedCosine:F5}; {note}");
        Assert.IsLessThan(0.99, unguardedCosine, "the outlier tensor wrecks plain int8");
        Assert.IsGreaterThanOrEqualTo(0.999, guardedCosine);
        StringAssert.Contains(note, $"'{OutlierBranchModel.SensitiveNode}' (MatMul");
        StringAssert.Contains(note, "to meet it (cosine 0.99");
        var floats = int.Parse(System.Text.RegularExpressions.Regex.Match(context.Notes[^1], @"(\d+) left in float").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsLessThanOrEqualTo(3, floats, "only the few nodes around the outlier tensor return to float: " + context.Notes[^1]);
    }

    [TestMethod]
    public void Quantize_ValidationSetTheCalibrationSetDidNotCover_DrivesTheFallback()
    {
        var original = OutlierBranchModel.Create();
        var calibration = RandomSamples(OutlierBranchModel.Input, Shape, count: 8, seed: 1);
        // Inputs with an offset the calibration samples never had (a shifted sensor, another camera): the calibrated
        // ranges clip them, so a budget the calibration set meets fails on these.
        var validation = Shifted(RandomSamples(OutlierBranchModel.Input, Shape, count: 8, seed: 2), 2f);
        var options = new QuantizationOptions { Budget = new QuantizationBudget { MinCosine = 0.85 } };

        var calibrationOnly = Context(calibration, out _);
        var unguarded = new QdqQuantizationPass(options).Apply(original.Clone(), calibrationOnly);
        var withValidation = new Passes.PassContext(calibration, new RecordingSink()) { Validation = validation };
        var guarded = new QdqQuantizationPass(options).Apply(original.Clone(), withValidation);

        var expected = RunAll(original, validation);
        var (unguardedCosine, guardedCosine) = (Cosine(expected, RunAll(unguarded, validation)), Cosine(expected, RunAll(guarded, validation)));
        var note = withValidation.Notes.Single(n => n.StartsWith("accuracy", StringComparison.Ordinal));
        TestContext.WriteLine($"validation cosine without the validation set {unguardedCosine:F5}, with it {guardedCosine:F5}; {note}");
        StringAssert.StartsWith(calibrationOnly.Notes.Single(n => n.StartsWith("accuracy", StringComparison.Ordinal)),
            "accuracy budget (min_cosine 0.85) met with every node quantized", "the calibration set alone hides the problem");
        Assert.IsLessThan(0.85, unguardedCosine);
        StringAssert.Contains(note, "misses the budget (min_cosine 0.85) on 8 validation sample(s)");
        StringAssert.Contains(note, $"'{OutlierBranchModel.SensitiveNode}' (MatMul");
        Assert.IsGreaterThanOrEqualTo(0.85, guardedCosine, "the budget holds on the validation set the fallback measured");
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(0.1)]
    [DataRow(0.5)]
    public void Quantize_UnreachableBudget_ReturnsNoMoreThanTheCap(double maxFraction)
    {
        var original = OutlierBranchModel.Create();
        var calibration = RandomSamples(OutlierBranchModel.Input, Shape, count: 4, seed: 1);
        var options = new QuantizationOptions { Budget = new QuantizationBudget { MinCosine = 1.0 }, MaxFallbackFraction = maxFraction };

        var context = Context(calibration, out _);
        new QdqQuantizationPass(options).Apply(original.Clone(), context);

        var note = context.Notes.Single(n => n.StartsWith("accuracy fallback", StringComparison.Ordinal));
        var unguarded = Context(calibration, out _);
        new QdqQuantizationPass().Apply(original.Clone(), unguarded);
        var quantized = QuantizedNodes(unguarded.Notes[^1]);
        var returned = int.Parse(System.Text.RegularExpressions.Regex.Match(note, @"with (\d+) node\(s\) in float").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        TestContext.WriteLine($"cap {maxFraction:P0} of {quantized}: {note}");
        Assert.IsLessThanOrEqualTo((int)Math.Ceiling(maxFraction * quantized), returned);
        Assert.IsTrue(maxFraction == 0 ? returned == 0 : returned > 0, "the fallback tries what the cap allows");
    }

    [TestMethod]
    public void Quantize_UnreachableBudget_StopsAtTheCapAndSaysSo()
    {
        var original = OutlierBranchModel.Create();
        var calibration = RandomSamples(OutlierBranchModel.Input, Shape, count: 4, seed: 1);
        var options = new QuantizationOptions { Budget = new QuantizationBudget { MinCosine = 1.0 }, MaxFallbackFraction = 0.2 };

        var context = Context(calibration, out _);
        var quantized = new QdqQuantizationPass(options).Apply(original.Clone(), context);

        var note = context.Notes.Single(n => n.StartsWith("accuracy fallback", StringComparison.Ordinal));
        TestContext.WriteLine(note);
        StringAssert.Contains(note, "the budget is not met even with up to 20% of the quantized nodes in float");
        Assert.IsTrue(quantized.Graph.Node.Any(n => n.OpType == "QuantizeLinear"), "the best candidate is still quantized");
        RunAll(quantized, calibration);
    }

    [TestMethod]
    [DataRow("transformer")]
    [DataRow("decoder")]
    [DataRow("audio")]
    [DataRow("resnet")]
    public void Quantize_ModelFamilyWithTightBudget_EndsWithinItOrAtTheCapAndOrtRunsTheResult(string family)
    {
        var (original, input, shape) = family switch
        {
            "transformer" => (TransformerBlockModel.Create(), TransformerBlockModel.Input, new long[] { 2, 8, 32 }),
            "decoder" => (DecoderModel.Create(), DecoderModel.Input, new long[] { 2, DecoderModel.Channels, 8, 8 }),
            "audio" => (AudioFrontEndModel.Create(), AudioFrontEndModel.Input, new long[] { 2, 1, 2048 }),
            _ => (ResidualNetModel.Create(), ResidualNetModel.Input, new long[] { 2, 3, 32, 32 }),
        };
        var calibration = RandomSamples(input, shape, count: 4, seed: 1);
        var context = Context(calibration, out _);

        var quantized = new QdqQuantizationPass(new QuantizationOptions { Budget = new QuantizationBudget { MinCosine = 0.9999 } }).Apply(original.Clone(), context);

        var note = context.Notes.Single(n => n.StartsWith("accuracy", StringComparison.Ordinal));
        var cosine = Cosine(RunAll(original, calibration), RunAll(quantized, calibration));
        TestContext.WriteLine($"{family}: cosine {cosine:F5}; {note}");
        Assert.IsTrue(cosine >= 0.9999 || note.Contains("is not met", StringComparison.Ordinal), "either the budget holds on the calibration set or the note says it does not");
        Assert.IsTrue(quantized.Graph.Node.Any(n => n.OpType == "QuantizeLinear"));
    }

    [TestMethod]
    public void Quantize_BudgetMetByTheFullyQuantizedModel_ReturnsNothingToFloat()
    {
        var calibration = RandomSamples(MatMulModel.Input, [4, MatMulModel.Features], count: 4, seed: 5);
        var context = Context(calibration, out _);

        new QdqQuantizationPass(new QuantizationOptions { Budget = new QuantizationBudget { MinCosine = 0.9, MaxTop1Disagreement = 0.5 } })
            .Apply(MatMulModel.Create(), context);

        StringAssert.StartsWith(context.Notes.Single(n => n.StartsWith("accuracy", StringComparison.Ordinal)), "accuracy budget (min_cosine 0.9, max_top1_disagreement 50%) met with every node quantized");
        StringAssert.Contains(context.Notes[^1], "0 left in float");
    }

    private static CalibrationSet Shifted(CalibrationSet samples, float offset) => samples with
    {
        Samples = samples.Samples.Select(s => s with { Inputs = s.Inputs.Select(t => t with { Data = ((float[])t.Data).Select(v => v + offset).ToArray() }).ToList() }).ToList(),
    };

    /// <summary>How many nodes the static pass quantized, from its summary note ("quantized 4 MatMul, 3 Add; ...").</summary>
    private static int QuantizedNodes(string summary) => System.Text.RegularExpressions.Regex.Matches(summary.Split(';')[0], @"(\d+) \w+")
        .Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
}
