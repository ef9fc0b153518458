using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Scale;

/// <summary>A stack of square MatMul+Relu layers (symbolic batch) whose weights add up to the requested size, saved with external data.</summary>
internal static class LargeModel
{
    /// <summary>Hidden width: each layer holds width^2 float32 weights (64 MiB at 4096).</summary>
    public const int Width = 4096;

    /// <summary>Writes the model to <paramref name="path"/> (+ .data) and returns its weight bytes.</summary>
    public static long Write(string path, long weightBytes)
    {
        var layers = (int)Math.Max(1, weightBytes / (4L * Width * Width));
        var random = new Random(1);
        var graph = new GraphProto { Name = "stack" };
        graph.Input.Add(Nodes.TensorInfo("x", DataType.Float, "batch", Width));
        var x = "x";
        for (var i = 0; i < layers; i++)
        {
            graph.Initializer.Add(ConvNetModel.RandomTensor(random, $"w{i}", [Width, Width], 1f / MathF.Sqrt(Width)));
            graph.Node.Add(Nodes.Create("MatMul", $"fc{i}", [x, $"w{i}"], [$"fc{i}.out"]));
            graph.Node.Add(Nodes.Create("Relu", $"relu{i}", [$"fc{i}.out"], [$"relu{i}.out"]));
            x = $"relu{i}.out";
        }

        graph.Node.Add(Nodes.Create("Identity", "output", [x], ["y"]));
        graph.Output.Add(Nodes.TensorInfo("y", DataType.Float, "batch", Width));
        var model = new ModelProto { IrVersion = 8, ProducerName = "optimizer-scale", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        ModelFile.Save(model, path, externalDataAbove: 0);
        return layers * 4L * Width * Width;
    }
}
