using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>Points readers of one tensor at another, including reads from nested subgraphs (outer-scope references).</summary>
public static class TensorRenaming
{
    /// <summary>
    /// Makes every node input in <paramref name="graph"/> and its subgraphs that reads <paramref name="from"/> read
    /// <paramref name="to"/> instead; subgraph outputs follow too. Subgraphs that define <paramref name="from"/>
    /// themselves are left alone. The outputs of <paramref name="graph"/> itself are renamed only when
    /// <paramref name="includeOutputs"/> is set, because a main graph's output names are its public contract.
    /// </summary>
    public static void RenameUses(GraphProto graph, string from, string to, bool includeOutputs)
    {
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                {
                    node.Input[i] = to;
                }
            }

            foreach (var sub in ModelWalker.Subgraphs(node))
            {
                if (!DefinesLocally(sub, from))
                {
                    RenameUses(sub, from, to, includeOutputs: true);
                }
            }
        }

        if (includeOutputs)
        {
            foreach (var output in graph.Output.Where(o => o.Name == from))
            {
                output.Name = to;
            }
        }
    }

    /// <summary>Renames where <paramref name="graph"/> defines <paramref name="from"/> (node output, initializer, value info).</summary>
    public static void RenameDefinition(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == from)
                {
                    node.Output[i] = to;
                }
            }
        }

        foreach (var initializer in graph.Initializer.Where(t => t.Name == from))
        {
            initializer.Name = to;
        }

        foreach (var info in graph.ValueInfo.Where(v => v.Name == from))
        {
            info.Name = to;
        }
    }

    private static bool DefinesLocally(GraphProto graph, string name) =>
        graph.Input.Any(i => i.Name == name) || graph.Initializer.Any(i => i.Name == name) || graph.Node.Any(n => n.Output.Contains(name));
}
