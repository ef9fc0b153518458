using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Calibration;

[TestClass]
public sealed class NonNegativeTensorsTests
{
    [TestMethod]
    public void Of_ConvNet_FindsActivationsPoolsAndConcatsThatCannotBeNegative()
    {
        var b = new GraphBuilder("signs", new Random(1));
        b.Graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", 2, 4, 4));
        var conv = b.Node("Conv", ["x", b.Weight("w", [2, 2, 1, 1], 1f)]);
        var relu = b.Node("Relu", [conv]);
        var pooled = b.Node("MaxPool", [relu], Attributes.Ints("kernel_shape", 2, 2));
        var clipAtZero = b.Node("Clip", [conv, b.Scalar("zero", 0f), b.Scalar("six", 6f)]);
        var clipBelowZero = b.Node("Clip", [conv, b.Scalar("minus_one", -1f), b.Scalar("one", 1f)]);
        var concatPositive = b.Node("Concat", [relu, clipAtZero], Attributes.Int("axis", 1));
        var concatMixed = b.Node("Concat", [relu, clipBelowZero], Attributes.Int("axis", 1));
        var sum = b.Node("Add", [relu, clipAtZero]);
        var average = b.Node("GlobalAveragePool", [relu]);
        var flat = b.Node("Flatten", [average]);
        var softmax = b.Node("Softmax", [b.Node("Gemm", [flat, b.Weight("g", [2, 3], 1f)])]);
        var model = b.Model(13);

        var nonNegative = NonNegativeTensors.Of(model);
        var spatial = SpatialTensors.Of(model);

        CollectionAssert.AreEquivalent(new[] { relu, pooled, clipAtZero, concatPositive, average, flat, softmax }, nonNegative.ToList());
        Assert.IsFalse(nonNegative.Contains(conv) || nonNegative.Contains(clipBelowZero) || nonNegative.Contains(concatMixed) || nonNegative.Contains(sum),
            "a Conv output, a Clip with a negative floor, a Concat with a signed input and an Add (not inferred) may be negative");
        CollectionAssert.IsSubsetOf(new[] { conv, relu, pooled, clipAtZero, concatMixed, sum }, spatial.ToList());
        Assert.IsFalse(spatial.Contains(flat) || spatial.Contains(softmax), "Flatten and Gemm outputs are rank 2: GlobalMaxPool would reject them");
    }
}
