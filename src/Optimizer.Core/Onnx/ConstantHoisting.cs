using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Moves tensors held by <c>Constant</c> nodes into their graph's initializers. Many exporters keep every weight in a
/// Constant node; after hoisting, passes find all weights in one place. Subgraph constants stay in their own subgraph.
/// </summary>
public static class ConstantHoisting
{
    /// <summary>Hoists the tensor-valued Constant nodes of every graph in the model; returns how many were moved.</summary>
    public static int HoistAll(ModelProto model)
    {
        var moved = 0;
        foreach (var graph in ModelWalker.AllGraphs(model).ToList())
        {
            moved += Hoist(graph);
        }

        return moved;
    }

    private static int Hoist(GraphProto graph)
    {
        var constants = graph.Node
            .Where(n => n.OpType == "Constant" && (n.Domain ?? "") is "" or "ai.onnx" && n.Output.Count == 1)
            .Where(n => n.Attribute.Count == 1 && n.Attribute[0].Name == "value" && n.Attribute[0].T is not null)
            .ToList();

        foreach (var node in constants)
        {
            var tensor = node.Attribute[0].T.Clone();
            tensor.Name = node.Output[0];
            graph.Initializer.Add(tensor);
            graph.Node.Remove(node);
        }

        return constants.Count;
    }
}
