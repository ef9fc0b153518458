using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Static post-training INT8 quantization in QDQ format, for the CPU INT8 profile. Weights become per-channel
/// symmetric int8 behind DequantizeLinear, biases int32, and activations get QuantizeLinear→DequantizeLinear pairs with
/// uint8 parameters measured by running the float model on the calibration samples; ONNX Runtime then fuses the
/// pattern into integer kernels (QLinearConv, QGemm, QLinearMatMul, ...). Nodes inside If/Loop/Scan bodies stay float.
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
        // Exporters often keep weights in Constant nodes; as initializers they are found and quantized like any other.
        var hoisted = ConstantHoisting.HoistAll(model);
        var upgrade = OpsetUpgrade.UpgradeTo13(model);
        if (upgrade.FromVersion != upgrade.ToVersion)
        {
            context.Note($"upgraded default-domain opset {upgrade.FromVersion} -> {upgrade.ToVersion} (rewrote {upgrade.RewrittenNodes} nodes) for per-channel DequantizeLinear");
        }

        var inSubgraphs = WarnAboutSubgraphs(model, context);
        var plan = QuantizationPlan.Build(model, Options);
        if (plan.Nodes.Count == 0)
        {
            context.Note($"quantized nothing; {plan.LeftInFloat.Count + inSubgraphs} quantizable nodes left in float");
            return model;
        }

        var ranges = ActivationCollector.Collect(model, plan.Activations, context.Calibration, CreateEstimator());
        var parameters = ResolveParameters(plan, ranges);
        var inserter = new QdqInserter(model.Graph, new UniqueNames(model), Options.ActivationType);
        var replaced = new List<string>();
        foreach (var slot in plan.Weights)
        {
            var weight = plan.Initializer(slot.Node.Input[slot.Input])!;
            var bias = slot.BiasInput >= 0 ? plan.Initializer(slot.Node.Input[slot.BiasInput]) : null;
            var quantized = WeightQuantizer.Quantize(TensorValues.ReadFloats(weight), weight.Dims, slot.Axis,
                bias is null ? null : TensorValues.ReadFloats(bias), parameters[slot.ActivationInput].Scale);
            replaced.Add(weight.Name);
            if (bias is not null)
            {
                replaced.Add(bias.Name);
            }

            inserter.AddWeight(slot, weight, quantized);
        }

        foreach (var constant in plan.Constants)
        {
            inserter.AddConstant(plan.Initializer(constant)!, parameters[constant]);
            replaced.Add(constant);
        }

        foreach (var tensor in plan.Activations)
        {
            inserter.AddActivation(tensor, plan.SharedWith.GetValueOrDefault(tensor, tensor), parameters[tensor]);
        }

        inserter.Apply();
        InitializerCleanup.RemoveUnused(model, model.Graph, replaced.Distinct());
        context.Note(Summary(plan, inSubgraphs, hoisted));
        return model;
    }

    private IRangeEstimator CreateEstimator() => Options.CalibrationMethod switch
    {
        CalibrationMethod.Percentile => new PercentileEstimator(Options.Percentile),
        _ => new MinMaxEstimator(),
    };

    /// <summary>Scale and zero point of every quantized tensor; passthrough outputs take those of the tensor they share with.</summary>
    private Dictionary<string, QuantParams> ResolveParameters(QuantizationPlan plan, IReadOnlyDictionary<string, TensorRange> ranges)
    {
        TensorRange RangeOf(string tensor) => plan.Constants.Contains(tensor)
            ? MinMaxEstimator.FiniteMinMax(TensorValues.ReadFloats(plan.Initializer(tensor)!)) is var (min, max) && !float.IsNaN(min) ? new(min, max) : default
            : ranges.GetValueOrDefault(tensor);

        var parameters = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        foreach (var tensor in plan.Activations.Concat(plan.Constants))
        {
            parameters[tensor] = QuantizationParameters.ForActivation(RangeOf(plan.SharedWith.GetValueOrDefault(tensor, tensor)), Options.ActivationType);
        }

        return parameters;
    }

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
        var hoistNote = hoisted > 0 ? $"; hoisted {hoisted} Constant-node tensors to initializers" : "";
        return $"quantized {counts}; {floats} left in float{detail}{hoistNote}";
    }
}
