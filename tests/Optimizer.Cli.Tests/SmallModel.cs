using Google.Protobuf;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Cli.Tests;

/// <summary>A one-Conv-one-Gemm model with enough weights for size ratios to mean something; written to a folder.</summary>
internal static class SmallModel
{
    public static string WriteTo(string directory, string name = "net.onnx")
    {
        var random = new Random(7);
        float[] Values(int count, float scale) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();

        var graph = new GraphProto { Name = "small" };
        graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 8, 8, 8));
        graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 16));
        graph.Initializer.Add(TensorValues.FromFloats("w", [64, 8, 3, 3], Values(64 * 8 * 9, 0.2f)));
        graph.Initializer.Add(TensorValues.FromFloats("b", [64], Values(64, 0.1f)));
        graph.Initializer.Add(TensorValues.FromFloats("fc", [64, 16], Values(64 * 16, 0.2f)));
        graph.Node.Add(Nodes.Create("Conv", "conv", ["x", "w", "b"], ["c"], Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(Nodes.Create("Relu", "relu", ["c"], ["r"]));
        graph.Node.Add(Nodes.Create("GlobalAveragePool", "gap", ["r"], ["g"]));
        graph.Node.Add(Nodes.Create("Flatten", "flatten", ["g"], ["f"]));
        graph.Node.Add(Nodes.Create("MatMul", "fc", ["f", "fc"], ["y"]));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });

        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }
}
