using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Visits every graph of a model, including the bodies of If/Loop/Scan and functions, so that passes never
/// silently skip the networks real models hide inside subgraphs.
/// </summary>
public static class ModelWalker
{
    /// <summary>The main graph and, depth first, every graph nested in a node attribute.</summary>
    public static IEnumerable<GraphProto> AllGraphs(ModelProto model)
    {
        foreach (var graph in GraphAndSubgraphs(model.Graph))
        {
            yield return graph;
        }
    }

    /// <summary><paramref name="graph"/> and every graph nested in its nodes' attributes.</summary>
    public static IEnumerable<GraphProto> GraphAndSubgraphs(GraphProto graph)
    {
        yield return graph;
        foreach (var node in graph.Node)
        {
            foreach (var sub in Subgraphs(node))
            {
                foreach (var nested in GraphAndSubgraphs(sub))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>The graphs held directly by a node's attributes (If branches, Loop/Scan bodies).</summary>
    public static IEnumerable<GraphProto> Subgraphs(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is not null)
            {
                yield return attribute.G;
            }

            foreach (var graph in attribute.Graphs)
            {
                yield return graph;
            }
        }
    }

    /// <summary>Every tensor stored in the model: initializers, Constant values and tensor attributes, in every graph.</summary>
    public static IEnumerable<TensorProto> AllTensors(ModelProto model)
    {
        foreach (var graph in AllGraphs(model))
        {
            foreach (var tensor in graph.Initializer)
            {
                yield return tensor;
            }

            foreach (var sparse in graph.SparseInitializer)
            {
                if (sparse.Values is not null) yield return sparse.Values;
                if (sparse.Indices is not null) yield return sparse.Indices;
            }

            foreach (var node in graph.Node)
            {
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.T is not null)
                    {
                        yield return attribute.T;
                    }

                    foreach (var tensor in attribute.Tensors)
                    {
                        yield return tensor;
                    }
                }
            }
        }
    }
}
