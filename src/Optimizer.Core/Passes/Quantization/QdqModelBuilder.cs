using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>A QDQ model built from a float model, with the plan it followed and the parameters of its quantized tensors.</summary>
internal sealed record QdqBuild(ModelProto Model, QuantizationPlan Plan, IReadOnlyDictionary<string, QuantParams> Parameters);

/// <summary>
/// Builds the QDQ model for one plan: int8 weights and int32 biases, quantized constants, and QuantizeLinear→
/// DequantizeLinear pairs with calibrated parameters. The float model is never modified, so the pass can build
/// several candidates (with bias corrections, with nodes returned to float) from the same float model.
/// </summary>
internal static class QdqModelBuilder
{
    /// <summary>
    /// Quantizes a copy of <paramref name="floatModel"/>: nodes in <paramref name="fallback"/> stay float, and the biases
    /// of the other nodes are first shifted by <paramref name="biasShifts"/> (see <see cref="BiasCorrection"/>).
    /// </summary>
    public static QdqBuild Build(ModelProto floatModel, QuantizationOptions options, CalibratedRanges ranges,
        IReadOnlySet<string>? fallback = null, IReadOnlyDictionary<string, float[]>? biasShifts = null)
    {
        var model = SharedWeightCopy.Of(floatModel);
        fallback ??= new HashSet<string>(StringComparer.Ordinal);
        var replaced = biasShifts is null ? [] : BiasCorrection.Apply(model, biasShifts.Where(s => !fallback.Contains(s.Key)));

        var plan = QuantizationPlan.Build(model, options, fallback);
        if (plan.Nodes.Count == 0)
        {
            InitializerCleanup.RemoveUnused(model, model.Graph, replaced);
            return new QdqBuild(model, plan, new Dictionary<string, QuantParams>());
        }

        // Only tensors that own their parameters are measured: a passthrough output (MaxPool, Reshape, ...) reuses its
        // input's, and every tensor exposed to ORT for calibration costs a copy per sample and blocks a fusion.
        var measured = plan.Activations.Select(t => plan.SharedWith.GetValueOrDefault(t, t)).Where(t => !plan.Constants.Contains(t)).Distinct().ToList();
        var parameters = ResolveParameters(plan, ranges.For(measured), options.ActivationType);
        var inserter = new QdqInserter(model.Graph, new UniqueNames(model), options.ActivationType);
        var weightMax = options.ReduceRange ? QuantizationParameters.ReducedWeightMax : QuantizationParameters.WeightMax;
        foreach (var slot in plan.Weights)
        {
            var weight = plan.Initializer(slot.Node.Input[slot.Input])!;
            var bias = slot.BiasInput >= 0 ? plan.Initializer(slot.Node.Input[slot.BiasInput]) : null;
            var quantized = WeightQuantizer.Quantize(weight, slot.Axis, bias is null ? null : TensorValues.ReadFloats(bias),
                parameters[slot.ActivationInput].Scale, weightMax);
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
            inserter.AddActivation(tensor, parameters[tensor]);
        }

        foreach (var (alias, (source, _)) in plan.ScaledAliases)
        {
            inserter.AddScaledAlias(alias, source, parameters[alias]);
            // The dropped node's constant factor goes too, unless another node still reads it (cleanup checks).
            replaced.AddRange(Nodes.Producer(model.Graph, alias)!.Input.Where(i => plan.Initializer(i) is not null));
        }

        inserter.Apply(plan.Fallback);
        // A weight a fallback node still reads stays: cleanup only removes initializers nothing reads any more.
        InitializerCleanup.RemoveUnused(model, model.Graph, replaced.Distinct());
        return new QdqBuild(model, plan, parameters);
    }

    /// <summary>
    /// Scale and zero point of every quantized tensor; passthrough outputs take those of the tensor they share with, and
    /// scaled aliases those of their source with the scale multiplied by the factor.
    /// </summary>
    private static Dictionary<string, QuantParams> ResolveParameters(QuantizationPlan plan, IReadOnlyDictionary<string, TensorRange> ranges, ActivationType type)
    {
        TensorRange RangeOf(string tensor) => plan.Constants.Contains(tensor)
            ? MinMaxEstimator.FiniteMinMax(TensorValues.ReadFloats(plan.Initializer(tensor)!)) is var (min, max) && !float.IsNaN(min) ? new(min, max) : default
            : ranges.GetValueOrDefault(tensor);

        var parameters = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        foreach (var tensor in plan.Activations.Concat(plan.Constants))
        {
            parameters[tensor] = QuantizationParameters.ForActivation(RangeOf(plan.SharedWith.GetValueOrDefault(tensor, tensor)), type);
        }

        foreach (var (alias, (source, factor)) in plan.ScaledAliases)
        {
            parameters[alias] = parameters[source] with { Scale = parameters[source].Scale * factor };
        }

        return parameters;
    }
}
