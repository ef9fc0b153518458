using System.Globalization;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// The GPU FP16 profile's conversion: float32 weights, activations and types become float16 in every graph (If/Loop/Scan
/// bodies included), except nodes that must stay float32 (blocked op types and names, and nodes whose values would
/// overflow float16 on calibration data), which get Casts around them. Inputs and outputs stay float32 by default.
/// </summary>
public sealed class Float16ConversionPass(Float16Options? options = null) : IModelPass
{
    /// <summary>The settings this pass runs with.</summary>
    public Float16Options Options { get; } = options ?? new Float16Options();

    /// <inheritdoc/>
    public string Name => "float16";

    /// <summary>The element type converted tensors get (float16, or bfloat16 when configured).</summary>
    private DataType Low => Options.Precision.ElementType();

    /// <inheritdoc/>
    public ModelProto Apply(ModelProto model, PassContext context)
    {
        var castsBefore = CountCasts(model);
        if (Options.Precision == ReducedPrecision.Bfloat16)
        {
            // bfloat16 joined the type constraints of most ops (and Cast) in opset 13.
            var upgrade = OpsetUpgrade.UpgradeTo13(model);
            if (upgrade.FromVersion != upgrade.ToVersion)
            {
                context.Note($"float16: upgraded opset {upgrade.FromVersion} to {upgrade.ToVersion} for bfloat16 ({upgrade.RewrittenNodes} nodes rewritten).");
            }
        }

        NormalizeFloatConstants(model);
        SparseWeights.DeclareTypes(model);
        ContainerValues.DeclareExitTypes(model);
        var names = new UniqueNames(model);
        var boundaryCasts = IsolateOutputs(model, names);
        var scopes = new GraphScopes(model);
        var types = TensorElementTypes.Infer(scopes);
        var weights = FindWeights(scopes, types);
        var ranges = MeasureRanges(model, types, context);
        var blocked = FindBlockedNodes(scopes, types, weights, boundaryCasts, ranges);
        var controlFlow = Options.ProtectOverflow ? ControlFlowPrecision.Find(scopes, ranges, Options.MaxMagnitude) : ControlFlowPrecision.None(scopes);
        var containers = ContainerValues.Find(scopes, types);
        containers.Decide(Options, ranges);
        var plan = Float16Plan.Create(scopes, types, weights, Options, blocked, boundaryCasts, controlFlow, containers);

        var converted = ConvertWeights(plan, weights, context);
        var retypedCasts = RetypeAttributeTypedNodes(plan);
        var casts = new CastInsertion(scopes, names);
        RewireReads(plan, casts);
        RetypeValueInfos(plan);
        casts.Flush();
        var ours = new HashSet<NodeProto>(boundaryCasts.Concat(casts.CreatedNodes).Concat(retypedCasts), ReferenceEqualityComparer.Instance);
        var removed = RedundantCastRemoval.Run(scopes, (graph, name) => FinalType(plan, casts, graph, name), ours, Low);

        foreach (var (node, reason) in blocked.OrderBy(b => b.Key.Name, StringComparer.Ordinal))
        {
            context.Note($"float16: kept {node.OpType} node '{node.Name}' in float32: {reason}.");
        }

        foreach (var (node, slots) in controlFlow.Kept.OrderBy(k => k.Key.Name, StringComparer.Ordinal))
        {
            context.Note(string.Create(CultureInfo.InvariantCulture,
                $"float16: kept {node.OpType} '{node.Name}' outputs {string.Join(", ", slots.Order().Select(s => $"'{node.Output[s]}'"))} float32 (in its bodies too): they exceed ±{Options.MaxMagnitude:G6} on calibration data."));
        }

        foreach (var (values, reason) in containers.Kept)
        {
            context.Note($"float16: kept sequence/optional values {string.Join(", ", values.Select(v => $"'{v}'"))} float32 (a container cannot be Cast): {reason}.");
        }

        NoteKeptWeights(plan, context);
        context.Note($"float16: converted {converted} float32 weights to {Options.Precision.Name()}, kept {blocked.Count} nodes in float32, "
            + $"added {CountCasts(model) - castsBefore} Casts (after removing {removed} redundant ones).");
        return model;
    }

    /// <summary>
    /// Gives each float main-graph output its own final Cast (to float32 with KeepIoTypes, else float16), so the
    /// output keeps its name and type whatever precision its producer ends up in. Casts that turn out to be no-ops are
    /// removed at the end.
    /// </summary>
    private HashSet<NodeProto> IsolateOutputs(ModelProto model, UniqueNames names)
    {
        var boundary = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var main = model.Graph;
        var types = TensorElementTypes.Infer(new GraphScopes(model));
        var to = Options.KeepIoTypes ? DataType.Float : Low;
        foreach (var output in main.Output.Select(o => o.Name).Distinct(StringComparer.Ordinal).ToList())
        {
            var producerIndex = main.Node.ToList().FindIndex(n => n.Output.Contains(output));
            var isInitializer = main.Initializer.Any(i => i.Name == output);
            if (types.Get(main, output) != DataType.Float || (producerIndex < 0 && !isInitializer))
            {
                continue;
            }

            var inner = names.Take($"{output}.inner");
            TensorRenaming.RenameDefinition(main, output, inner);
            TensorRenaming.RenameUses(main, output, inner, includeOutputs: false);
            var cast = Nodes.Create("Cast", names.Take($"{output}.cast_output"), [inner], [output], Attributes.Int("to", (long)to));
            main.Node.Insert(producerIndex + 1, cast);
            boundary.Add(cast);
            foreach (var info in main.Output.Where(o => o.Name == output))
            {
                TensorTypeConverter.SetElementType(info, to);
            }
        }

        return boundary;
    }

    /// <summary>Max |x| of every float32 activation on calibration data; empty without overflow protection or samples.</summary>
    private Dictionary<TensorKey, float> MeasureRanges(ModelProto model, TensorElementTypes types, PassContext context)
    {
        if (!Options.ProtectOverflow)
        {
            return [];
        }

        if (context.Calibration.Samples.Count == 0)
        {
            context.Note("float16: no calibration samples, so activation ranges were not checked for float16 overflow (weights were).");
            return [];
        }

        return ActivationRanges.Measure(model, types, context.Calibration);
    }

    private Dictionary<NodeProto, string> FindBlockedNodes(
        GraphScopes scopes, TensorElementTypes types, IReadOnlyDictionary<TensorKey, TensorProto> weights,
        HashSet<NodeProto> boundaryCasts, IReadOnlyDictionary<TensorKey, float> ranges)
    {
        var blocked = new Dictionary<NodeProto, string>(ReferenceEqualityComparer.Instance);
        foreach (var graph in scopes.Graphs)
        {
            // Container ops only move data; their families are decided as a whole by ContainerValues.
            foreach (var node in graph.Node.Where(n => !boundaryCasts.Contains(n) && !ContainerValues.IsContainerOp(n)))
            {
                if (Float16Rules.BlockReason(node, graph, types, weights, Options) is { } reason)
                {
                    blocked[node] = reason;
                }
            }
        }

        if (!Options.ProtectOverflow)
        {
            return blocked;
        }

        foreach (var (node, reason) in OverflowProtection.FindNodes(scopes, ranges, weights, Options.MaxMagnitude))
        {
            if (!boundaryCasts.Contains(node) && !ContainerValues.IsContainerOp(node))
            {
                blocked.TryAdd(node, reason);
            }
        }

        return blocked;
    }

    private int ConvertWeights(Float16Plan plan, IReadOnlyDictionary<TensorKey, TensorProto> weights, PassContext context)
    {
        var converted = 0;
        foreach (var (key, tensor) in weights.Where(w => plan.Half.Contains(w.Key)))
        {
            var (clamped, _) = TensorTypeConverter.ToReducedPrecision(tensor, Options.Precision);
            converted++;
            if (clamped > 0)
            {
                context.Diagnostics.Warn(new Diagnostic(DiagnosticSeverity.Warning, ErrorCodes.Float16WeightClamped,
                    string.Create(CultureInfo.InvariantCulture, $"Weight '{key.Name}' has {clamped} values beyond {Options.Precision.Name()}'s range; they were clamped to ±{Options.Precision.MaxValue():G6}. ")
                    + "Enable overflow protection or list its readers in the float16 block list to keep it float32."));
            }
        }

        return converted;
    }

    /// <summary>Says which weights read only by float32 nodes were rounded (behind a Cast) and which stayed exact, and why.</summary>
    private void NoteKeptWeights(Float16Plan plan, PassContext context)
    {
        static string List(IEnumerable<TensorKey> keys) => string.Join(", ", keys.Select(k => $"'{k.Name}'").Order(StringComparer.Ordinal));
        if (plan.CastBackWeights.Count > 0)
        {
            context.Note(string.Create(CultureInfo.InvariantCulture,
                $"float16: stored {plan.CastBackWeights.Count} weights read only by float32 nodes in {Options.Precision.Name()} with one Cast to float32 each "
                + $"(relative rounding error at most {Options.KeptWeightTolerance:G3}): {List(plan.CastBackWeights)}."));
        }

        foreach (var group in plan.ExactWeights.GroupBy(w => w.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            context.Note($"float16: kept {group.Count()} weights read only by float32 nodes exact in float32 ({List(group.Select(w => w.Key))}): {group.Key}.");
        }
    }

    private List<NodeProto> RetypeAttributeTypedNodes(Float16Plan plan)
    {
        var retypedCasts = new List<NodeProto>();
        foreach (var graph in plan.Scopes.Graphs)
        {
            foreach (var node in graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain) && Float16OpTables.AttributeTyped.Contains(n.OpType)))
            {
                if (node.Output.Count == 0 || !plan.Half.Contains(new TensorKey(graph, node.Output[0])))
                {
                    continue;
                }

                switch (node.OpType)
                {
                    case "Cast":
                        Attributes.Find(node, "to")!.I = (long)Low;
                        retypedCasts.Add(node);
                        break;
                    case "ConstantOfShape" when Attributes.Find(node, "value") is { } value:
                        TensorTypeConverter.ToReducedPrecision(value.T, Options.Precision);
                        break;
                    case "ConstantOfShape":
                        node.Attribute.Add(Attributes.Tensor("value", TensorTypeConverter.Encode("value", [1], [0f], Options.Precision)));
                        break;
                    case "SequenceEmpty":
                        SetTypeAttribute(node, "dtype");
                        break;
                    case "Optional":
                        ValueTypeRetyping.Retype(Attributes.Find(node, "type")?.Tp, DataType.Float, Low);
                        break;
                    default:
                        SetTypeAttribute(node, "output_datatype");
                        break;
                }
            }
        }

        return retypedCasts;
    }

    /// <summary>Sets an element-type attribute to the reduced type, adding it when the node relied on the float default.</summary>
    private void SetTypeAttribute(NodeProto node, string name)
    {
        if (Attributes.Find(node, name) is { } existing)
        {
            existing.I = (long)Low;
        }
        else
        {
            node.Attribute.Add(Attributes.Int(name, (long)Low));
        }
    }

    private void RewireReads(Float16Plan plan, CastInsertion casts)
    {
        foreach (var (use, key) in plan.Uses)
        {
            var stored = plan.Half.Contains(key) ? Low : DataType.Float;
            if (plan.Wanted(use) is not { } wanted || wanted == stored)
            {
                continue;
            }

            var name = casts.CastOf(key, wanted);
            if (use.Node is { } node)
            {
                node.Input[use.Index] = name;
            }
            else
            {
                use.Graph.Output[use.Index].Name = name;
            }
        }
    }

    private void RetypeValueInfos(Float16Plan plan)
    {
        foreach (var graph in plan.Scopes.Graphs)
        {
            foreach (var info in graph.Input.Concat(graph.ValueInfo))
            {
                if (plan.Scopes.Resolve(graph, info.Name) is { } key && plan.Half.Contains(key))
                {
                    ValueTypeRetyping.Retype(info.Type, DataType.Float, Low);
                }
            }

            // Subgraph outputs (but kept control-flow slots) and, without KeepIoTypes, main outputs now carry float16.
            var isMain = ReferenceEquals(graph, plan.Scopes.Main);
            for (var i = 0; i < graph.Output.Count; i++)
            {
                // A container output carries its family's type: it cannot have been given a Cast.
                if (plan.Scopes.Resolve(graph, graph.Output[i].Name) is { } key && plan.Containers.IsContainer(key))
                {
                    if (plan.Half.Contains(key))
                    {
                        ValueTypeRetyping.Retype(graph.Output[i].Type, DataType.Float, Low);
                    }

                    continue;
                }

                var keep = isMain ? Options.KeepIoTypes : plan.ControlFlow.KeepsBodyOutput(graph, i);
                if (TensorTypeConverter.IsFloat32(graph.Output[i]) && !keep)
                {
                    TensorTypeConverter.SetElementType(graph.Output[i], Low);
                }
            }
        }
    }

    private DataType? FinalType(Float16Plan plan, CastInsertion casts, GraphProto graph, string name)
    {
        if (plan.Scopes.Resolve(graph, name) is not { } key)
        {
            return null;
        }

        if (casts.Outputs.TryGetValue(key, out var castType))
        {
            return castType;
        }

        var original = plan.Types.Get(key);
        return original == DataType.Float && plan.Half.Contains(key) ? Low : original;
    }

    private static Dictionary<TensorKey, TensorProto> FindWeights(GraphScopes scopes, TensorElementTypes types)
    {
        var weights = new Dictionary<TensorKey, TensorProto>();
        foreach (var graph in scopes.Graphs)
        {
            foreach (var initializer in graph.Initializer.Where(i => i.DataType == (int)DataType.Float))
            {
                weights[new TensorKey(graph, initializer.Name)] = initializer;
            }

            foreach (var node in graph.Node.Where(n => n.OpType == "Constant" && Opsets.IsDefaultDomain(n.Domain) && n.Output.Count == 1))
            {
                if (Attributes.Find(node, "value")?.T is { DataType: (int)DataType.Float } tensor)
                {
                    weights[new TensorKey(graph, node.Output[0])] = tensor;
                }
            }

            foreach (var (name, values) in SparseWeights.In(graph))
            {
                weights[new TensorKey(graph, name)] = values;
            }
        }

        return weights;
    }

    private static int CountCasts(ModelProto model) => ModelWalker.AllGraphs(model).Sum(g => g.Node.Count(n => n.OpType == "Cast"));

    /// <summary>Rewrites <c>value_float(s)</c> Constants as tensor Constants, so every float constant converts one way.</summary>
    private static void NormalizeFloatConstants(ModelProto model)
    {
        foreach (var node in ModelWalker.AllGraphs(model).SelectMany(g => g.Node).Where(n => n.OpType == "Constant" && Opsets.IsDefaultDomain(n.Domain)))
        {
            var attribute = node.Attribute.FirstOrDefault(a => a.Name is "value_float" or "value_floats");
            if (attribute is null)
            {
                continue;
            }

            var tensor = attribute.Name == "value_float"
                ? TensorValues.FromFloats("value", [], [attribute.F])
                : TensorValues.FromFloats("value", [attribute.Floats.Count], attribute.Floats.ToArray());
            node.Attribute.Remove(attribute);
            node.Attribute.Add(Attributes.Tensor("value", tensor));
        }
    }
}
