using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// Removes Casts that do nothing useful after conversion: a Cast to float32 of a Cast to float16 (or bfloat16) reads the original
/// tensor instead (skipping a lossy round trip), and a Cast to the type its input already has disappears. Only Casts
/// the pass created or retyped are touched: a round trip already in the float32 model may be deliberate.
/// </summary>
internal static class RedundantCastRemoval
{
    /// <summary>Cleans every graph; <paramref name="typeOf"/> gives a tensor's element type after conversion, <paramref name="low"/> is the reduced precision. Returns the Casts removed.</summary>
    public static int Run(GraphScopes scopes, Func<GraphProto, string, DataType?> typeOf, IReadOnlySet<NodeProto> ours, DataType low)
    {
        var removed = 0;
        foreach (var graph in scopes.Graphs)
        {
            var isMain = ReferenceEquals(graph, scopes.Main);
            while (CleanOne(graph, isMain, typeOf, ours, low, ref removed))
            {
            }
        }

        return removed;
    }

    private static bool CleanOne(GraphProto graph, bool isMain, Func<GraphProto, string, DataType?> typeOf, IReadOnlySet<NodeProto> ours, DataType low, ref int removed)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                producers[output] = node;
            }
        }

        foreach (var cast in graph.Node.Where(IsCast).ToList())
        {
            var to = (DataType)Attributes.GetInt(cast, "to", 0);
            if (to == DataType.Float && producers.TryGetValue(cast.Input[0], out var first) && IsCast(first)
                && (DataType)Attributes.GetInt(first, "to", 0) == low && (ours.Contains(cast) || ours.Contains(first)))
            {
                cast.Input[0] = first.Input[0];
                if (CountUses(graph, first.Output[0]) == 0)
                {
                    graph.Node.Remove(first);
                    removed++;
                }

                return true;
            }

            if (ours.Contains(cast) && typeOf(graph, cast.Input[0]) == to && TryRemoveIdentity(graph, cast, isMain, producers))
            {
                removed++;
                return true;
            }
        }

        return false;
    }

    private static bool TryRemoveIdentity(GraphProto graph, NodeProto cast, bool isMain, Dictionary<string, NodeProto> producers)
    {
        var (input, output) = (cast.Input[0], cast.Output[0]);
        var isGraphOutput = graph.Output.Any(o => o.Name == output);
        if (!isMain || !isGraphOutput)
        {
            // Subgraph outputs are bound by position, so they may simply name the input.
            graph.Node.Remove(cast);
            TensorRenaming.RenameUses(graph, output, input, includeOutputs: !isMain);
            return true;
        }

        // A main graph output keeps its name: the producer writes it directly when nothing else reads the input.
        if (producers.ContainsKey(input) && CountUses(graph, input) == 1 && !graph.Output.Any(o => o.Name == input))
        {
            graph.Node.Remove(cast);
            TensorRenaming.RenameDefinition(graph, input, output);
            return true;
        }

        return false;
    }

    private static bool IsCast(NodeProto node) => node.OpType == "Cast" && Opsets.IsDefaultDomain(node.Domain) && node.Input.Count == 1;

    private static int CountUses(GraphProto graph, string name)
    {
        var count = graph.Output.Count(o => o.Name == name);
        foreach (var node in graph.Node)
        {
            count += node.Input.Count(i => i == name);
            foreach (var sub in ModelWalker.Subgraphs(node))
            {
                var shadows = sub.Input.Any(i => i.Name == name) || sub.Initializer.Any(i => i.Name == name) || sub.Node.Any(n => n.Output.Contains(name));
                count += shadows ? 0 : CountUses(sub, name);
            }
        }

        return count;
    }
}
