using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Onnx;

/// <summary>What <see cref="OpsetUpgrade.UpgradeTo13"/> did: the opset the model had and how many nodes it rewrote.</summary>
public sealed record OpsetUpgradeResult(long FromVersion, long ToVersion, int RewrittenNodes);

/// <summary>
/// Raises a model's default-domain opset to 13 (the first with per-channel <c>DequantizeLinear</c>), rewriting every
/// node whose op changed signature on the way (Clip, Squeeze/Unsqueeze, Split, ReduceSum, Pad, Slice, TopK, Softmax, ...)
/// or refusing with a coded error that names the node. Bumping the number alone would make ONNX Runtime misread old
/// attributes, so nothing is changed unless every node in every graph can be brought to opset 13.
/// </summary>
public static class OpsetUpgrade
{
    /// <summary>The opset this upgrade produces.</summary>
    public const long TargetVersion = 13;

    /// <summary>The IR version opset 13 needs; ONNX Runtime rejects newer opsets under older IR versions.</summary>
    public const long MinimumIrVersion = 7;

    /// <summary>Upgrades <paramref name="model"/> in place when its default-domain opset is below 13.</summary>
    /// <exception cref="OptimizerException">ModelUnsupported, naming the node and op that cannot be converted.</exception>
    public static OpsetUpgradeResult UpgradeTo13(ModelProto model)
    {
        var from = Opsets.DefaultDomainVersion(model);
        if (from >= TargetVersion)
        {
            RaiseIrVersion(model);
            return new OpsetUpgradeResult(from, from, 0);
        }

        if (from < OpsetChangeTable.OldestSupported)
        {
            throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"The model imports default-domain opset {from}; opsets older than {OpsetChangeTable.OldestSupported} cannot be upgraded to "
                + $"{TargetVersion} for INT8 quantization. Re-export the model with opset {TargetVersion} or newer.");
        }

        // Check everything before editing anything, so a refusal leaves the model untouched.
        foreach (var graph in ModelWalker.AllGraphs(model))
        {
            foreach (var node in graph.Node.Where(n => Opsets.IsDefaultDomain(n.Domain)))
            {
                CheckConvertible(node, from);
            }
        }

        var names = new UniqueNames(model);
        var types = TensorElementTypes.Infer(new GraphScopes(model));
        var rewritten = RewriteGraph(model.Graph, from, names, types);
        Opsets.SetDefaultDomainVersion(model, TargetVersion);
        RaiseIrVersion(model);
        return new OpsetUpgradeResult(from, TargetVersion, rewritten);
    }

    private static void RaiseIrVersion(ModelProto model)
    {
        if (model.IrVersion < MinimumIrVersion)
        {
            model.IrVersion = MinimumIrVersion;
        }
    }

    private static void CheckConvertible(NodeProto node, long from)
    {
        var op = node.OpType;
        if (OpsetChangeTable.Unchanged.Contains(op) || OpsetChangeTable.Converted.ContainsKey(op))
        {
            if (op == "BatchNormalization" && from < 9 && Attributes.GetInt(node, "spatial", 1) == 0)
            {
                throw Refusal(node, from, "uses spatial=0, which opset 9 removed");
            }

            return;
        }

        if (OpsetChangeTable.Refused.TryGetValue(op, out var refused))
        {
            if (from >= refused.Since)
            {
                return;
            }

            throw Refusal(node, from, refused.Reason);
        }

        throw Refusal(node, from, "is not in the tool's table of ops known to be unchanged up to opset 13");
    }

    private static OptimizerException Refusal(NodeProto node, long from, string reason) =>
        new(ErrorCodes.ModelUnsupported,
            $"Cannot upgrade the model from opset {from} to {TargetVersion} for INT8 quantization: node '{node.Name}' (op {node.OpType}) {reason}. "
            + $"Re-export the model with opset {TargetVersion} or newer, or use a profile without INT8 quantization.");

    private static int RewriteGraph(GraphProto graph, long from, UniqueNames names, TensorElementTypes types)
    {
        var rewritten = 0;
        var result = new List<NodeProto>(graph.Node.Count);
        foreach (var node in graph.Node)
        {
            foreach (var sub in ModelWalker.Subgraphs(node))
            {
                rewritten += RewriteGraph(sub, from, names, types);
            }

            var needsRewrite = Opsets.IsDefaultDomain(node.Domain)
                && OpsetChangeTable.Converted.TryGetValue(node.OpType, out var since) && from < since;
            if (!needsRewrite)
            {
                result.Add(node);
                continue;
            }

            var editor = new NodeRewriter(graph, node, from, names, types);
            result.AddRange(editor.Rewrite());
            rewritten++;
        }

        graph.Node.Clear();
        graph.Node.AddRange(result);
        return rewritten;
    }

    /// <summary>Turns one old-opset node into its opset-13 equivalent (one or more nodes, plus initializers).</summary>
    private sealed class NodeRewriter(GraphProto graph, NodeProto node, long from, UniqueNames names, TensorElementTypes types)
    {
        public IEnumerable<NodeProto> Rewrite()
        {
            switch (node.OpType)
            {
                case "Clip":
                    var min = Attributes.Find(node, "min");
                    var max = Attributes.Find(node, "max");
                    RemoveAttributes("min", "max");
                    if (min is not null || max is not null)
                    {
                        node.Input.Add(min is null ? "" : ScalarLike(node.Input[0], "min", min.F));
                    }

                    if (max is not null)
                    {
                        node.Input.Add(ScalarLike(node.Input[0], "max", max.F));
                    }

                    return [node];
                case "Pad":
                    var pads = Attributes.Find(node, "pads")?.Ints.ToArray() ?? [];
                    var value = Attributes.GetFloat(node, "value", 0f);
                    RemoveAttributes("pads", "paddings", "value");
                    node.Input.Add(Int64s("pads", pads));
                    node.Input.Add(ScalarLike(node.Input[0], "value", value));
                    return [node];
                case "Slice":
                    var starts = Attributes.Find(node, "starts")?.Ints.ToArray() ?? [];
                    var ends = Attributes.Find(node, "ends")?.Ints.ToArray() ?? [];
                    var axes = Attributes.Find(node, "axes")?.Ints.ToArray();
                    RemoveAttributes("starts", "ends", "axes");
                    node.Input.Add(Int64s("starts", starts));
                    node.Input.Add(Int64s("ends", ends));
                    if (axes is not null)
                    {
                        node.Input.Add(Int64s("axes", axes));
                    }

                    return [node];
                case "TopK":
                    var k = Attributes.GetInt(node, "k", 1);
                    RemoveAttributes("k");
                    node.Input.Add(Int64s("k", [k]));
                    return [node];
                case "Dropout":
                    // Inference ignores the ratio; opset 12 made it an optional input whose absence is equivalent.
                    RemoveAttributes("ratio", "is_test");
                    return [node];
                case "BatchNormalization":
                    RemoveAttributes("spatial");
                    return [node];
                case "Squeeze" or "Unsqueeze" or "ReduceSum":
                    MoveIntsAttributeToInput("axes", 1);
                    return [node];
                case "Split":
                    MoveIntsAttributeToInput("split", 1);
                    return [node];
                case "Softmax" or "LogSoftmax" or "Hardmax":
                    return RewriteSoftmaxFamily();
                default:
                    throw new InvalidOperationException($"No rewrite for {node.OpType}.");
            }
        }

        private void MoveIntsAttributeToInput(string attribute, int inputIndex)
        {
            var values = Attributes.Find(node, attribute)?.Ints.ToArray();
            RemoveAttributes(attribute);
            if (values is not null)
            {
                while (node.Input.Count < inputIndex)
                {
                    node.Input.Add("");
                }

                node.Input.Insert(inputIndex, Int64s(attribute, values));
            }
        }

        /// <summary>
        /// Before opset 13 these ops flattened the input to 2-D around <c>axis</c>; from 13 they work along one axis.
        /// Flatten, apply on the last axis, and restore the shape: exactly the old meaning for any rank.
        /// </summary>
        private IEnumerable<NodeProto> RewriteSoftmaxFamily()
        {
            var axis = Attributes.GetInt(node, "axis", 1);
            if (axis == -1 || Rank(node.Input[0]) is { } rank && (axis + rank) % rank == rank - 1)
            {
                return [node];
            }

            var input = node.Input[0];
            var shape = names.Take($"{node.Name}_input_shape");
            var flat = names.Take($"{node.Name}_flat");
            var flatOut = names.Take($"{node.Name}_flat_out");
            var original = node.Output[0];
            RemoveAttributes("axis");
            node.Attribute.Add(Attributes.Int("axis", -1));
            node.Input[0] = flat;
            node.Output[0] = flatOut;
            return
            [
                Nodes.Create("Shape", names.Take($"{node.Name}_shape"), [input], [shape]),
                Nodes.Create("Flatten", names.Take($"{node.Name}_flatten"), [input], [flat], Attributes.Int("axis", axis)),
                node,
                Nodes.Create("Reshape", names.Take($"{node.Name}_reshape"), [flatOut, shape], [original]),
            ];
        }

        private long? Rank(string tensor) =>
            graph.Input.Concat(graph.ValueInfo).FirstOrDefault(v => v.Name == tensor)?.Type?.TensorType?.Shape?.Dim.Count;

        private void RemoveAttributes(params string[] attributeNames)
        {
            foreach (var attribute in node.Attribute.Where(a => attributeNames.Contains(a.Name)).ToList())
            {
                node.Attribute.Remove(attribute);
            }
        }

        private string Int64s(string what, long[] values)
        {
            var tensor = TensorValues.Create<long>(names.Take($"{node.Name}_{what}"), DataType.Int64, [values.Length], values);
            graph.Initializer.Add(tensor);
            return tensor.Name;
        }

        /// <summary>A scalar initializer of the same element type as <paramref name="like"/>, as opset 11+ requires.</summary>
        private string ScalarLike(string like, string what, float value)
        {
            var type = types.Get(graph, like) ?? DataType.Float;
            var name = names.Take($"{node.Name}_{what}");
            var tensor = type switch
            {
                DataType.Float => TensorValues.FromFloats(name, [], [value]),
                DataType.Double => TensorValues.Create<double>(name, DataType.Double, [], [value]),
                DataType.Float16 => TensorValues.FromFloatsAsFloat16(name, [], [value]),
                _ => throw Refusal(node, from, $"has {what} for element type {type}, which the upgrade cannot express as an input"),
            };
            graph.Initializer.Add(tensor);
            return name;
        }
    }
}
