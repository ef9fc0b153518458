using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>An MLP as transformer-style exporters write it: [batch, 64] x [64, 128] + bias, Relu, then [128, 10] x MatMul.</summary>
internal static class MatMulModel
{
    public const string Input = "x";
    public const int Features = 64;

    public static ModelProto Create(int seed = 3)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", Features));
        graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", 10));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "w1", [Features, 128], MathF.Sqrt(2f / Features)));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "b1", [128], 0.1f));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "w2", [128, 10], MathF.Sqrt(1f / 128)));
        graph.Node.Add(Nodes.Create("MatMul", "fc1", [Input, "w1"], ["fc1.out"]));
        graph.Node.Add(Nodes.Create("Add", "fc1.bias", ["fc1.out", "b1"], ["fc1.biased"]));
        graph.Node.Add(Nodes.Create("Relu", "fc1.relu", ["fc1.biased"], ["fc1.act"]));
        graph.Node.Add(Nodes.Create("MatMul", "fc2", ["fc1.act", "w2"], ["y"]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }
}
