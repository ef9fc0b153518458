using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// The nesting of a model's graphs (which node owns which subgraph) and the names each graph defines, so that a name
/// read inside an If/Loop/Scan body resolves to the graph that really defines it (ONNX outer-scope references).
/// </summary>
public sealed class GraphScopes
{
    private readonly Dictionary<GraphProto, (GraphProto? Parent, NodeProto? Owner)> _links = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<GraphProto, HashSet<string>> _defined = new(ReferenceEqualityComparer.Instance);
    private readonly List<GraphProto> _graphs = [];

    /// <summary>Indexes every graph of <paramref name="model"/>; edits made later are seen only through <see cref="Define"/>.</summary>
    public GraphScopes(ModelProto model)
    {
        Main = model.Graph;
        Add(model.Graph, null, null);
    }

    /// <summary>The model's main graph.</summary>
    public GraphProto Main { get; }

    /// <summary>Every graph, parents before their subgraphs.</summary>
    public IReadOnlyList<GraphProto> Graphs => _graphs;

    /// <summary>The graph that contains the node owning <paramref name="graph"/>, or null for the main graph.</summary>
    public GraphProto? Parent(GraphProto graph) => _links[graph].Parent;

    /// <summary>The If/Loop/Scan node whose attribute holds <paramref name="graph"/>, or null for the main graph.</summary>
    public NodeProto? Owner(GraphProto graph) => _links[graph].Owner;

    /// <summary>True when <paramref name="graph"/> itself (not an enclosing graph) defines <paramref name="name"/>.</summary>
    public bool DefinesLocally(GraphProto graph, string name) => _defined[graph].Contains(name);

    /// <summary>The definition <paramref name="name"/> refers to when read in <paramref name="graph"/>, or null when nothing defines it.</summary>
    public TensorKey? Resolve(GraphProto graph, string name)
    {
        for (GraphProto? scope = graph; scope is not null; scope = Parent(scope))
        {
            if (_defined[scope].Contains(name))
            {
                return new TensorKey(scope, name);
            }
        }

        return null;
    }

    /// <summary>Records a name a pass added to <paramref name="graph"/> (e.g. a new Cast output).</summary>
    public void Define(GraphProto graph, string name) => _defined[graph].Add(name);

    private void Add(GraphProto graph, GraphProto? parent, NodeProto? owner)
    {
        _graphs.Add(graph);
        _links[graph] = (parent, owner);
        var names = new HashSet<string>(StringComparer.Ordinal);
        names.UnionWith(graph.Input.Select(i => i.Name));
        names.UnionWith(graph.Initializer.Select(i => i.Name));
        names.UnionWith(graph.SparseInitializer.Where(s => s.Values is not null).Select(s => s.Values.Name));
        names.UnionWith(graph.Node.SelectMany(n => n.Output).Where(o => o.Length > 0));
        _defined[graph] = names;
        foreach (var node in graph.Node)
        {
            foreach (var sub in ModelWalker.Subgraphs(node))
            {
                Add(sub, graph, node);
            }
        }
    }
}
