using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Onnx;

/// <summary>Spatial sizes worked out from the graph match what ONNX Runtime produces, and unknowable ones are left out.</summary>
[TestClass]
public sealed class SpatialSizesTests
{
    [TestMethod]
    public void Of_ConvPoolingAndElementWiseChains_MatchTheShapesOnnxRuntimeProduces()
    {
        var b = new GraphBuilder("sizes", new Random(3));
        b.Graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 3, 17, 13));
        var conv = b.Node("Conv", ["x", b.Weight("w", [8, 3, 3, 3], 0.2f)], Attributes.Ints("strides", 2, 2), Attributes.Ints("pads", 1, 0, 1, 0));
        var same = b.Node("Conv", [conv, b.Weight("w2", [8, 1, 5, 5], 0.2f)], Attributes.Int("group", 8), Attributes.String("auto_pad", "SAME_LOWER"), Attributes.Ints("strides", 2, 2));
        var dilated = b.Node("Conv", [conv, b.Weight("w3", [8, 8, 3, 3], 0.2f)], Attributes.Ints("dilations", 2, 2), Attributes.Ints("pads", 1, 1, 1, 1));
        var pooled = b.Node("MaxPool", [b.Node("Relu", [dilated])], Attributes.Ints("kernel_shape", 3, 3), Attributes.Ints("strides", 2, 2), Attributes.Int("ceil_mode", 1));
        var averaged = b.Node("AveragePool", [conv], Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2), Attributes.String("auto_pad", "SAME_UPPER"));
        var gate = b.Node("HardSigmoid", [b.Node("GlobalAveragePool", [averaged])]);
        var scaled = b.Node("Mul", [averaged, gate]);
        var shifted = b.Node("Add", [scaled, b.Weight("bias", [8, 1, 1], 0.1f)]);
        var joined = b.Node("Concat", [shifted, shifted], Attributes.Int("axis", 3));
        var upsampled = b.Node("ConvTranspose", [joined, b.Weight("wt", [8, 4, 3, 3], 0.2f)], Attributes.Ints("strides", 2, 2), Attributes.Ints("pads", 1, 1, 1, 1), Attributes.Ints("output_padding", 1, 1));
        var reshaped = b.Node("Reshape", [pooled, FlatShape(b)]);
        var named = new[] { conv, same, dilated, pooled, averaged, gate, scaled, shifted, joined, upsampled, reshaped };
        foreach (var tensor in named)
        {
            b.Graph.Output.Add(new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } } });
        }

        var model = b.Model(13);
        var sizes = SpatialSizes.Of(model, new Dictionary<string, long[]> { ["x"] = [2, 3, 17, 13] });

        using var session = ModelSession.Create(model, "spatial sizes test");
        var actual = session.Run(ModelRuns.RandomSamples("x", [2, 3, 17, 13], count: 1, seed: 1).Samples[0], named).ToDictionary(r => r.Name, r => r.Shape);
        foreach (var tensor in named.Where(t => t != reshaped))
        {
            Assert.IsTrue(sizes.ContainsKey(tensor), $"{tensor} follows from the graph");
            CollectionAssert.AreEqual(actual[tensor][2..], sizes[tensor], tensor);
        }

        Assert.IsFalse(sizes.ContainsKey(reshaped), "a Reshape's output is left to be measured");
    }

    /// <summary>[batch, 8, rest]: what follows a Reshape is not worked out.</summary>
    private static string FlatShape(GraphBuilder b)
    {
        b.Graph.Initializer.Add(TensorValues.Create("flat", DataType.Int64, [3], [0L, 8L, -1L]));
        return "flat";
    }
}
