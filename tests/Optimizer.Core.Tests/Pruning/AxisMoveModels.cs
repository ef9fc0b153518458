using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Pruning;

/// <summary>
/// A conv net whose channels travel through the shape and resampling ops detection and segmentation exports use:
/// Conv, Clip, per-channel Mul, Resize x2, Slice (spatial), Split (spatial) and Add, Unsqueeze+Squeeze, Conv,
/// HardSwish (LeakyRelu before opset 14), Transpose to NHWC and a MatMul head. Input <c>image</c> [batch, 3, 8, 8],
/// first weight in a Constant node; axes are attributes before opset 13 and inputs from 13, as exporters write them.
/// </summary>
public static class AxisMoveModels
{
    /// <summary>Where a variant of the net moves the first group's channels in a way pruning must refuse.</summary>
    public enum Blocker
    {
        /// <summary>Every op leaves the channel axis alone.</summary>
        None,

        /// <summary>The Slice also cuts the channel axis (keeps channels 0..width-1 of width).</summary>
        SliceChannels,

        /// <summary>The Resize writes out its output sizes.</summary>
        ResizeSizes,
    }

    /// <summary>The net with <paramref name="width"/> channels after the first Conv and twice that after the second.</summary>
    public static ModelProto Create(int width, int opset, Blocker blocker = Blocker.None)
    {
        var random = new Random(23);
        var graph = new GraphProto { Name = "axis-moves" };
        graph.Input.Add(Nodes.TensorInfo(PruningTestModels.Input, DataType.Float, "batch", 3, 8, 8));
        graph.Output.Add(Nodes.TensorInfo("logits", DataType.Float, "batch", 6, 12, 10));

        var weight0 = ConvNetModel.RandomTensor(random, "conv0.weight", [width, 3, 3, 3], MathF.Sqrt(2f / 27));
        graph.Node.Add(Nodes.Create("Constant", "conv0.weight.constant", [], [weight0.Name], Attributes.Tensor("value", weight0)));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "conv0.bias", [width], 0.1f));
        graph.Node.Add(Nodes.Create("Conv", "conv0", [PruningTestModels.Input, "conv0.weight", "conv0.bias"], ["conv0.out"],
            Attributes.Ints("kernel_shape", 3, 3), Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Initializer.Add(TensorValues.FromFloats("clip.min", [], [0f]));
        graph.Initializer.Add(TensorValues.FromFloats("clip.max", [], [6f]));
        graph.Node.Add(Nodes.Create("Clip", "relu6", ["conv0.out", "clip.min", "clip.max"], ["relu6.out"]));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "scale.value", [1, width, 1, 1], 1f));
        graph.Node.Add(Nodes.Create("Mul", "scale", ["relu6.out", "scale.value"], ["scale.out"]));

        graph.Initializer.Add(TensorValues.FromFloats("resize.scales", [4], [1f, 1f, 2f, 2f]));
        // Opset 11 Resize requires its roi input (ignored by every mode but tf_crop_and_resize); from 13 it may be left empty.
        var roi = opset >= 13 ? "" : "resize.roi";
        if (opset < 13)
        {
            graph.Initializer.Add(TensorValues.FromFloats(roi, [0], []));
        }

        var resizeInputs = blocker == Blocker.ResizeSizes ? new[] { "scale.out", roi, "", "resize.sizes" } : ["scale.out", roi, "resize.scales"];
        if (blocker == Blocker.ResizeSizes)
        {
            AddInts(graph, "resize.sizes", [2, width, 16, 16]);
        }

        graph.Node.Add(Nodes.Create("Resize", "upsample", resizeInputs, ["upsample.out"], Attributes.String("mode", "nearest")));

        long[] sliceAxes = blocker == Blocker.SliceChannels ? [1, 2, 3] : [2, 3];
        long[] starts = blocker == Blocker.SliceChannels ? [0, 1, 1] : [1, 1];
        long[] ends = blocker == Blocker.SliceChannels ? [width, 13, 13] : [13, 13];
        AddInts(graph, "crop.starts", starts);
        AddInts(graph, "crop.ends", ends);
        AddInts(graph, "crop.axes", sliceAxes);
        graph.Node.Add(Nodes.Create("Slice", "crop", ["upsample.out", "crop.starts", "crop.ends", "crop.axes"], ["crop.out"]));
        graph.Node.Add(Nodes.Create("Split", "halves", ["crop.out"], ["top", "bottom"], Attributes.Int("axis", 2)));
        graph.Node.Add(Nodes.Create("Add", "fold", ["top", "bottom"], ["fold.out"]));
        Axes(graph, opset, "Unsqueeze", "fold.out", "lifted");
        Axes(graph, opset, "Squeeze", "lifted", "flat");

        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "conv1.weight", [2 * width, width, 3, 3], MathF.Sqrt(2f / (9 * width))));
        graph.Node.Add(Nodes.Create("Conv", "conv1", ["flat", "conv1.weight"], ["conv1.out"],
            Attributes.Ints("kernel_shape", 3, 3), Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(opset >= 14
            ? Nodes.Create("HardSwish", "act1", ["conv1.out"], ["act1.out"])
            : Nodes.Create("LeakyRelu", "act1", ["conv1.out"], ["act1.out"], Attributes.Float("alpha", 0.1f)));
        graph.Node.Add(Nodes.Create("Transpose", "to_nhwc", ["act1.out"], ["nhwc"], Attributes.Ints("perm", 0, 2, 3, 1)));
        graph.Initializer.Add(ConvNetModel.RandomTensor(random, "head.weight", [2 * width, 10], MathF.Sqrt(1f / (2 * width))));
        graph.Node.Add(Nodes.Create("MatMul", "head", ["nhwc", "head.weight"], ["logits"]));

        var model = new ModelProto { IrVersion = 7, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>Unsqueeze/Squeeze on axis 2: an <c>axes</c> attribute before opset 13, a constant input from 13.</summary>
    private static void Axes(GraphProto graph, int opset, string op, string input, string output)
    {
        if (opset >= 13)
        {
            AddInts(graph, $"{output}.axes", [2]);
            graph.Node.Add(Nodes.Create(op, output, [input, $"{output}.axes"], [output]));
        }
        else
        {
            graph.Node.Add(Nodes.Create(op, output, [input], [output], Attributes.Ints("axes", 2)));
        }
    }

    private static void AddInts(GraphProto graph, string name, long[] values) =>
        graph.Initializer.Add(TensorValues.Create<long>(name, DataType.Int64, [values.Length], values));
}
