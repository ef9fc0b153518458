using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>Creates nodes and value infos, so passes and tests build graph pieces in one readable line each.</summary>
public static class Nodes
{
    /// <summary>A default-domain node.</summary>
    public static NodeProto Create(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>A tensor value info; each dim is a <c>long</c> (fixed) or a <c>string</c> (symbolic, e.g. "batch").</summary>
    public static ValueInfoProto TensorInfo(string name, TensorProto.Types.DataType elementType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                _ => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) },
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }

    /// <summary>The first node in <paramref name="graph"/> that produces <paramref name="tensor"/>, or null for inputs and initializers.</summary>
    public static NodeProto? Producer(GraphProto graph, string tensor) => graph.Node.FirstOrDefault(n => n.Output.Contains(tensor));

    /// <summary>Every node in <paramref name="graph"/> (not its subgraphs) that reads <paramref name="tensor"/>.</summary>
    public static IEnumerable<NodeProto> Consumers(GraphProto graph, string tensor) => graph.Node.Where(n => n.Input.Contains(tensor));
}
