using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Checks the structure of every graph of a model: each name is defined once, every node input and graph output is
/// defined (locally or in an enclosing graph), and the nodes can be ordered, i.e. they form no cycle. Node order in
/// the file is not required to be topological, because ONNX Runtime sorts graphs itself and accepts such models.
/// </summary>
internal static class GraphValidator
{
    /// <summary>Throws <see cref="ErrorCodes.ModelGraphInvalid"/> naming the graph, node and op of the first problem.</summary>
    public static void Check(ModelProto model, string origin)
    {
        var scopes = new GraphScopes(model);
        foreach (var graph in scopes.Graphs)
        {
            CheckDefinitions(graph, origin);
            CheckReferences(scopes, graph, origin);
            CheckAcyclic(graph, origin);
        }
    }

    private static void CheckDefinitions(GraphProto graph, string origin)
    {
        Unique(graph, graph.Input.Select(i => i.Name), "graph input", origin);
        Unique(graph, graph.Initializer.Select(i => i.Name), "initializer", origin);
        Unique(graph, graph.Output.Select(o => o.Name), "graph output", origin);

        // Initializers may repeat graph inputs (IR < 4 requires it), so they count as one definition.
        var defined = new HashSet<string>(graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        defined.UnionWith(graph.Initializer.Select(i => i.Name));
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                if (!defined.Add(output))
                {
                    throw Error(graph, node, $"defines '{output}', which is already defined in the graph (duplicate output name)", origin);
                }
            }
        }
    }

    private static void CheckReferences(GraphScopes scopes, GraphProto graph, string origin)
    {
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                if (scopes.Resolve(graph, input) is null)
                {
                    throw Error(graph, node, $"reads '{input}', which no graph input, initializer or node defines (dangling input)", origin);
                }
            }
        }

        foreach (var output in graph.Output)
        {
            if (scopes.Resolve(graph, output.Name) is null)
            {
                throw new OptimizerException(ErrorCodes.ModelGraphInvalid,
                    $"Graph '{graph.Name}' declares output '{output.Name}', which no input, initializer or node defines.", origin);
            }
        }
    }

    // Kahn's algorithm over this graph's own edges; whatever cannot be scheduled sits on (or behind) a cycle.
    private static void CheckAcyclic(GraphProto graph, string origin)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < graph.Node.Count; i++)
        {
            foreach (var output in graph.Node[i].Output.Where(o => o.Length > 0))
            {
                producer[output] = i;
            }
        }

        var pending = new int[graph.Node.Count];
        var readers = new List<int>[graph.Node.Count];
        for (var i = 0; i < graph.Node.Count; i++)
        {
            readers[i] = [];
        }

        for (var i = 0; i < graph.Node.Count; i++)
        {
            foreach (var input in graph.Node[i].Input.Distinct(StringComparer.Ordinal))
            {
                if (producer.TryGetValue(input, out var from))
                {
                    readers[from].Add(i);
                    pending[i]++;
                }
            }
        }

        var ready = new Queue<int>(Enumerable.Range(0, graph.Node.Count).Where(i => pending[i] == 0));
        var scheduled = 0;
        while (ready.TryDequeue(out var next))
        {
            scheduled++;
            foreach (var reader in readers[next])
            {
                if (--pending[reader] == 0)
                {
                    ready.Enqueue(reader);
                }
            }
        }

        if (scheduled < graph.Node.Count)
        {
            var stuck = graph.Node[Array.FindIndex(pending, p => p > 0)];
            throw Error(graph, stuck, "is part of a cycle: its inputs depend on its own outputs", origin);
        }
    }

    private static void Unique(GraphProto graph, IEnumerable<string> names, string what, string origin)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!seen.Add(name))
            {
                throw new OptimizerException(ErrorCodes.ModelGraphInvalid, $"Graph '{graph.Name}' has two {what}s named '{name}'.", origin);
            }
        }
    }

    private static OptimizerException Error(GraphProto graph, NodeProto node, string problem, string origin) =>
        new(ErrorCodes.ModelGraphInvalid, $"Node '{node.Name}' ({node.OpType}) in graph '{graph.Name}' {problem}.", origin);
}
