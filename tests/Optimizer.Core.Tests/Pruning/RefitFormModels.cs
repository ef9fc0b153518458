using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Pruning;

/// <summary>
/// A net whose pruned layers' consumers have the forms reconstruction must handle beyond the plain ones: a strided
/// Conv with <c>auto_pad</c> (TensorFlow exports), and a Gemm head with transA, transB, alpha and beta (a transposed
/// feature matrix, as some exporters write <c>x @ W.T</c>). Input <c>image</c> [batch, 3, 8, 8], opset 11, first weight in a Constant node.
/// </summary>
internal static class RefitFormModels
{
    /// <summary>
    /// conv0 (3 -> <paramref name="width"/>), conv1 (stride 2, <paramref name="autoPad"/>; -> 2 x width), GAP, Flatten,
    /// Transpose, Gemm. <paramref name="exposeConv1"/> makes conv1's output a graph output too (so its channels stay and
    /// its own fidelity is measured directly).
    /// </summary>
    public static ModelProto Create(int width, string autoPad, bool exposeConv1 = false)
    {
        var random = new Random(31);
        var graph = new GraphProto { Name = "refit-forms" };
        graph.Input.Add(Nodes.TensorInfo(PruningTestModels.Input, DataType.Float, "batch", 3, 8, 8));
        graph.Output.Add(Nodes.TensorInfo("logits", DataType.Float, "batch", 10));
        if (exposeConv1)
        {
            graph.Output.Add(Nodes.TensorInfo("conv1.out", DataType.Float, "batch", 2 * width, "height", "width"));
        }

        var weight0 = ConvNetModel.RandomTensor(random, "conv0.weight", [width, 3, 3, 3], MathF.Sqrt(2f / 27));
        graph.Node.Add(Nodes.Create("Constant", "conv0.weight.constant", [], [weight0.Name], Attributes.Tensor("value", weight0)));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "conv0.bias", [width], 0.1f));
        graph.Node.Add(Nodes.Create("Conv", "conv0", [PruningTestModels.Input, "conv0.weight", "conv0.bias"], ["conv0.out"],
            Attributes.Ints("kernel_shape", 3, 3), Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(Nodes.Create("Relu", "relu0", ["conv0.out"], ["relu0.out"]));

        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "conv1.weight", [2 * width, width, 3, 3], MathF.Sqrt(2f / (9 * width))));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "conv1.bias", [2 * width], 0.1f));
        graph.Node.Add(Nodes.Create("Conv", "conv1", ["relu0.out", "conv1.weight", "conv1.bias"], ["conv1.out"],
            Attributes.Ints("kernel_shape", 3, 3), Attributes.Ints("strides", 2, 2), Attributes.String("auto_pad", autoPad)));
        graph.Node.Add(Nodes.Create("Relu", "relu1", ["conv1.out"], ["relu1.out"]));
        graph.Node.Add(Nodes.Create("GlobalAveragePool", "gap", ["relu1.out"], ["gap.out"]));
        graph.Node.Add(Nodes.Create("Flatten", "flatten", ["gap.out"], ["features"], Attributes.Int("axis", 1)));
        graph.Node.Add(Nodes.Create("Transpose", "features_t", ["features"], ["features.t"], Attributes.Ints("perm", 1, 0)));

        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "fc.weight", [10, 2 * width], MathF.Sqrt(1f / (2 * width))));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "fc.bias", [10], 0.1f));
        graph.Node.Add(Nodes.Create("Gemm", "fc", ["features.t", "fc.weight", "fc.bias"], ["logits"],
            Attributes.Int("transA", 1), Attributes.Int("transB", 1), Attributes.Float("alpha", 0.5f), Attributes.Float("beta", 2f)));

        var model = new ModelProto { IrVersion = 7, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 11 });
        return model;
    }
}
