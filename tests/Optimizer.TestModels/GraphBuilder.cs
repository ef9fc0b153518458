using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.TestModels;

/// <summary>Appends nodes with generated names, so model code reads as the dataflow it builds.</summary>
public sealed class GraphBuilder(string name, Random random)
{
    private int _next;

    /// <summary>The graph being built.</summary>
    public GraphProto Graph { get; } = new() { Name = name };

    /// <summary>Adds a node with a generated name and output; returns the output.</summary>
    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => Node(op, inputs, null, null, attributes);

    /// <summary>Adds a node, naming its output and the node itself when given; returns the output.</summary>
    public string Node(string op, string[] inputs, string? output = null, string? name = null, params AttributeProto[] attributes)
    {
        var id = $"{Graph.Name}.{op.ToLowerInvariant()}{_next++}";
        output ??= id + ".out";
        Graph.Node.Add(Nodes.Create(op, name ?? id, inputs, [output], attributes));
        return output;
    }

    /// <summary>A Gaussian initializer with standard deviation <paramref name="scale"/> around <paramref name="offset"/>.</summary>
    public string Weight(string tensor, long[] dims, float scale, float offset = 0f)
    {
        var values = TensorValues.ReadFloats(ConvNetModel.RandomTensor(random, tensor, dims, scale)).Select(v => v + offset).ToArray();
        Graph.Initializer.Add(TensorValues.FromFloats(tensor, dims, values));
        return tensor;
    }

    /// <summary>A float tensor held by a Constant node, as exporters such as Paddle2ONNX write weights.</summary>
    public string Constant(string tensor, long[] dims, float[] values)
    {
        Graph.Node.Add(Nodes.Create("Constant", tensor + ".constant", [], [tensor], Attributes.Tensor("value", TensorValues.FromFloats(tensor, dims, values))));
        return tensor;
    }

    /// <summary>A scalar held by a Constant node, as exporters write them.</summary>
    public string Scalar(string tensor, float value) => Constant(tensor, [], [value]);

    /// <summary>MatMul by a weight then Add of a bias, as exporters write Linear layers.</summary>
    public string Linear(string input, int inFeatures, int outFeatures, string prefix) =>
        Node("Add", [Node("MatMul", [input, Weight($"{prefix}.weight", [inFeatures, outFeatures], MathF.Sqrt(1f / inFeatures))]), Weight($"{prefix}.bias", [outFeatures], 0.05f)]);

    /// <summary>The graph as a model importing the default domain at <paramref name="opset"/>.</summary>
    public ModelProto Model(int opset)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "optimizer-tests", Graph = Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }
}
