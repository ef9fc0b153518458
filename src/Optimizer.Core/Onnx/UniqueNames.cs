using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>Hands out tensor and node names that do not collide with any name already in the model.</summary>
public sealed class UniqueNames
{
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    /// <summary>Collects every name used anywhere in the model (all graphs) as taken.</summary>
    public UniqueNames(ModelProto model)
    {
        foreach (var graph in ModelWalker.AllGraphs(model))
        {
            foreach (var node in graph.Node)
            {
                _taken.UnionWith(node.Input);
                _taken.UnionWith(node.Output);
                _taken.Add(node.Name);
            }

            _taken.UnionWith(graph.Initializer.Select(i => i.Name));
            _taken.UnionWith(graph.Input.Select(i => i.Name));
            _taken.UnionWith(graph.Output.Select(i => i.Name));
            _taken.UnionWith(graph.ValueInfo.Select(i => i.Name));
        }
    }

    /// <summary>Returns <paramref name="preferred"/> if free, else the first free <c>preferred_N</c>; the name is then taken.</summary>
    public string Take(string preferred)
    {
        var name = preferred;
        for (var i = 1; !_taken.Add(name); i++)
        {
            name = $"{preferred}_{i}";
        }

        return name;
    }
}
