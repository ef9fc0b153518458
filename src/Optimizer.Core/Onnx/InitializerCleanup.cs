using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Removes initializers a pass replaced (e.g. float weights after quantization) once nothing reads them any more.
/// A name still read anywhere (a node in any subgraph, or a graph output) is kept, so outer-scope references stay valid.
/// </summary>
public static class InitializerCleanup
{
    /// <summary>
    /// Removes each of <paramref name="candidates"/> from <paramref name="graph"/>'s initializers (and from its inputs,
    /// where old IR versions list initializers) when no node or output in <paramref name="model"/> uses it; returns how many.
    /// </summary>
    public static int RemoveUnused(ModelProto model, GraphProto graph, IEnumerable<string> candidates)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in ModelWalker.AllGraphs(model))
        {
            foreach (var node in g.Node)
            {
                used.UnionWith(node.Input);
            }

            used.UnionWith(g.Output.Select(o => o.Name));
        }

        var unused = candidates.Where(c => !used.Contains(c)).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        foreach (var initializer in graph.Initializer.Where(i => unused.Contains(i.Name)).ToList())
        {
            graph.Initializer.Remove(initializer);
            removed++;
        }

        foreach (var input in graph.Input.Where(i => unused.Contains(i.Name)).ToList())
        {
            graph.Input.Remove(input);
        }

        return removed;
    }
}
