using System.Globalization;
using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Folding;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Static post-training INT8 quantization in QDQ format, for the CPU INT8 profile. Weights become per-channel
/// symmetric int8 behind DequantizeLinear, biases int32, and activations get QuantizeLinear→DequantizeLinear pairs with
/// uint8 parameters measured by running the float model on the calibration samples; ONNX Runtime then fuses the
/// pattern into integer kernels (QLinearConv, QGemm, QLinearMatMul, ...). Un-folded BatchNormalization is folded into
/// the preceding Conv/ConvTranspose first. Nodes inside If/Loop/Scan bodies stay float. Then, measured on the
/// calibration data: bias correction (<see cref="QuantizationOptions.BiasCorrection"/>) and, when the profile has an
/// accuracy budget, the fallback that returns the most harmful nodes to float (<see cref="QuantizationOptions.Budget"/>).
/// <see cref="QuantizationOptions.Mode"/> selects dynamic or weight-only 4-bit quantization instead.
/// </summary>
public sealed class QdqQuantizationPass(QuantizationOptions? options = null) : IModelPass
{
    /// <summary>The settings this pass runs with.</summary>
    public QuantizationOptions Options { get; } = options ?? new QuantizationOptions();

    /// <inheritdoc/>
    public string Name => "quantize-int8";

    /// <inheritdoc/>
    /// <exception cref="OptimizerException">ModelUnsupported when the opset cannot be raised to 13; calibration or runtime errors.</exception>
    public ModelProto Apply(ModelProto model, PassContext context)
    {
        var timings = new PhaseTimer();
        var preparation = System.Diagnostics.Stopwatch.StartNew();
        // Exporters often keep weights in Constant nodes; as initializers they are found and quantized like any other.
        var hoisted = ConstantHoisting.HoistAll(model);
        // Folded first, so a Conv's weight scales absorb the BN scale and ORT sees Conv→Relu, which it fuses.
        var folded = BatchNormFolding.Fold(model);
        if (folded.Count > 0)
        {
            context.Note($"folded {folded.Count} BatchNormalization node(s) into the preceding Conv/ConvTranspose");
        }

        var upgrade = OpsetUpgrade.UpgradeTo13(model);
        if (upgrade.FromVersion != upgrade.ToVersion)
        {
            context.Note($"upgraded default-domain opset {upgrade.FromVersion} -> {upgrade.ToVersion} (rewrote {upgrade.RewrittenNodes} nodes) for per-channel DequantizeLinear");
        }

        var inSubgraphs = WarnAboutSubgraphs(model, context);
        NameQuantizableNodes(model);
        timings.Add("preparation (hoisting, BN folding, opset upgrade)", preparation.Elapsed.TotalSeconds);
        switch (Options.Mode)
        {
            case QuantizationMode.Dynamic:
                context.Note(DynamicQuantizer.Apply(model, Options, context.Diagnostics) + HoistNote(hoisted));
                return model;
            case QuantizationMode.WeightOnlyInt4:
                context.Note(Int4WeightQuantizer.Apply(model, Options, context.Diagnostics) + HoistNote(hoisted));
                return model;
        }

        // Static INT8 only, before calibration measures the new tensors: ORT has no integer HardSigmoid/HardSwish.
        var hardActivations = HardActivationDecomposition.Apply(model, Options);
        if (hardActivations > 0)
        {
            context.Note($"rewrote {hardActivations} HardSigmoid/HardSwish node(s) as Add, Clip and scaling so they run in int8");
        }

        // Bias correction needs each corrected layer's input means: min/max ranges clip no calibration value, so the
        // calibration runs measure them (LayerInputMeans); a clipping calibration knows what it clips only once its ranges
        // are chosen, so one more pass measures the clipped means. The accuracy fallback ranks nodes by the probe's errors
        // and takes the shifts from the same probe.
        var correctable = BiasCorrection.Correctable(model);
        var sizes = StaticSpatialSizes(model, context.Calibration);
        var inputMeans = Options.BiasCorrection && Options.Budget is null && CreateEstimator().NeedsOnlyExtremes
            ? new LayerInputMeans(model, correctable, sizes) : null;
        var ranges = new CalibratedRanges(model, context.Calibration, CreateEstimator, context.Diagnostics.Detail, timings, inputMeans);
        var full = timings.Time("QDQ build (calibration included)", () => QdqModelBuilder.Build(model, Options, ranges));
        if (full.Plan.Nodes.Count == 0)
        {
            context.Note($"quantized nothing; {full.Plan.LeftInFloat.Count + inSubgraphs} quantizable nodes left in float");
            return model;
        }

        if (Options.BiasCorrection && Options.Budget is null && inputMeans is null)
        {
            var represented = full.Parameters.ToDictionary(p => p.Key, p => QuantizationParameters.Represented(p.Value, Options.ActivationType), StringComparer.Ordinal);
            inputMeans = new LayerInputMeans(model, correctable, sizes, represented);
            timings.Time("clipped input means pass", () => inputMeans.Measure(model, context.Calibration, timings));
        }

        var errors = Options.Budget is not null ? timings.Time("layer error probe", () => LayerErrorProbe.Measure(model, full, context.Calibration, timings)) : [];
        var shifts = !Options.BiasCorrection ? null
            : inputMeans is not null ? timings.Time("bias shifts from input means", () => WeightErrorShifts.Of(model, full, inputMeans))
            : BiasCorrection.Shifts(model, errors);
        var result = shifts is { Count: > 0 } ? timings.Time("bias-corrected build", () => QdqModelBuilder.Build(model, Options, ranges, biasShifts: shifts)) : full;
        if (shifts is { Count: > 0 })
        {
            context.Note(inputMeans is not null
                ? $"bias correction shifted the bias of {shifts.Count} layer(s) by the mean output error their int8 weights and input ranges cause, computed from their input means on {context.Calibration.Samples.Count} calibration sample(s)"
                : $"bias correction shifted the bias of {shifts.Count} layer(s) by their mean output error on {Math.Min(context.Calibration.Samples.Count, LayerErrorProbe.MaxSamples)} calibration sample(s)");
        }

        if (Options.Budget is { } budget)
        {
            var fallback = timings.Time("accuracy fallback", () => AccuracyFallback.Run(result, errors,
                nodes => QdqModelBuilder.Build(model, Options, ranges, nodes, shifts), new CalibrationFidelity(model, context.FidelitySamples), budget, Options.MaxFallbackFraction));
            context.Note(FallbackNote(fallback, budget, context.FidelitySamplesDescription, Options.MaxFallbackFraction));
            result = fallback.Build;
        }

        context.Diagnostics.Detail($"quantize-int8 time: {timings}");
        context.Note(Summary(result.Plan, inSubgraphs, hoisted));
        return result.Model;
    }

    /// <summary>Spatial sizes the graph gives when every calibration sample has the same input shapes; null otherwise.</summary>
    private static Dictionary<string, long[]>? StaticSpatialSizes(ModelProto model, CalibrationSet calibration)
    {
        var first = calibration.Samples.FirstOrDefault()?.Inputs;
        var sameShapes = first is not null && calibration.Samples.All(s => s.Inputs.Count == first.Count
            && s.Inputs.Zip(first).All(p => p.First.Name == p.Second.Name && p.First.Shape.SequenceEqual(p.Second.Shape)));
        return sameShapes ? SpatialSizes.Of(model, first!.ToDictionary(i => i.Name, i => i.Shape, StringComparer.Ordinal)) : null;
    }

    private IRangeEstimator CreateEstimator() => Options.CalibrationMethod switch
    {
        CalibrationMethod.Percentile => new PercentileEstimator(Options.Percentile),
        CalibrationMethod.Entropy => new EntropyEstimator(),
        CalibrationMethod.Mse => new MseEstimator(),
        _ => new MinMaxEstimator(),
    };

    /// <summary>
    /// Gives every quantizable main-graph node a unique name: bias shifts, fallback choices and report notes refer to
    /// nodes by name, and exporters leave names empty or repeat them.
    /// </summary>
    private static void NameQuantizableNodes(ModelProto model)
    {
        var names = new UniqueNames(model);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain) && QuantizableOps.Compute.Contains(n.OpType)))
        {
            if (node.Name.Length == 0 || !seen.Add(node.Name))
            {
                node.Name = names.Take(node.Name.Length == 0 ? $"{node.OpType}_{node.Output.FirstOrDefault()}" : node.Name);
                seen.Add(node.Name);
            }
        }
    }

    private static string FallbackNote(FallbackResult fallback, QuantizationBudget budget, string samples, double maxFraction)
    {
        var limits = string.Join(", ", new[]
        {
            budget.MinCosine is { } c ? string.Create(CultureInfo.InvariantCulture, $"min_cosine {c:0.####}") : null,
            budget.MaxTop1Disagreement is { } d ? string.Create(CultureInfo.InvariantCulture, $"max_top1_disagreement {d:0.##%}") : null,
        }.Where(l => l is not null));
        if (budget.MaxTop1Disagreement is not null && fallback.FullyQuantized.Top1Disagreement is null)
        {
            // The pipeline's budget check reports this as OPT4005; the fallback can only work to the other limits.
            limits += "; max_top1_disagreement not measurable, no output has a class axis";
        }

        if (fallback.Returned.Count == 0 && fallback.MeetsBudget)
        {
            return $"accuracy budget ({limits}) met with every node quantized: {fallback.Fidelity} on {samples}";
        }

        var kept = string.Join(", ", fallback.Returned.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"'{e.Node}' ({e.OpType}, its int8 output error is {e.RelativeError:0.###%} of its signal)")));
        var outcome = fallback.MeetsBudget
            ? $"kept {fallback.Returned.Count} node(s) in float to meet it ({fallback.Fidelity})"
            : string.Create(CultureInfo.InvariantCulture, $"the budget is not met even with up to {maxFraction:0%} of the quantized nodes in float; kept the best candidate ({fallback.Fidelity}) with {fallback.Returned.Count} node(s) in float");
        return $"accuracy fallback: the fully quantized model misses the budget ({limits}) on {samples} ({fallback.FullyQuantized}); "
            + $"{outcome} after {fallback.Evaluations} evaluation(s){(kept.Length > 0 ? ": " + kept : "")}";
    }

    private static string HoistNote(int hoisted) => hoisted > 0 ? $"; hoisted {hoisted} Constant-node tensors to initializers" : "";

    /// <summary>Quantizable nodes inside If/Loop/Scan bodies stay float (calibrating them needs per-branch runs); say so, by name.</summary>
    private static int WarnAboutSubgraphs(ModelProto model, PassContext context)
    {
        var nested = ModelWalker.AllGraphs(model).Skip(1)
            .SelectMany(g => g.Node)
            .Where(n => Opsets.IsDefaultDomain(n.Domain) && QuantizableOps.Compute.Contains(n.OpType))
            .ToList();
        if (nested.Count > 0)
        {
            var names = string.Join(", ", nested.Take(10).Select(n => $"'{n.Name}' ({n.OpType})"));
            var more = nested.Count > 10 ? $" and {nested.Count - 10} more" : "";
            context.Diagnostics.Warn(new Diagnostic(DiagnosticSeverity.Warning, ErrorCodes.PartiallyOptimized,
                $"INT8 quantization left {nested.Count} node(s) inside If/Loop/Scan subgraphs in float: {names}{more}. "
                + "They run correctly but at float speed; move the network out of the control-flow op to quantize it."));
        }

        return nested.Count;
    }

    private static string Summary(QuantizationPlan plan, int inSubgraphs, int hoisted)
    {
        var counts = string.Join(", ", plan.Nodes.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
        var floats = plan.LeftInFloat.Count + inSubgraphs;
        var detail = plan.LeftInFloat.Count == 0 ? "" : ": " + string.Join(", ", plan.LeftInFloat.Take(10).Select(f => $"'{f.Node.Name}' ({f.Reason})"));
        return $"quantized {counts}; {floats} left in float{detail}{HoistNote(hoisted)}";
    }
}
