using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Calibration;

/// <summary>
/// A two-input model, <c>sum = a + b</c>, with input names that are not valid file names on every OS (as TensorFlow
/// exports write them), for tests of multi-input calibration data.
/// </summary>
public static class AddModel
{
    /// <summary>First input name; ':' is forbidden in Windows file names.</summary>
    public const string InputA = "input:0";

    /// <summary>Second input name; '/' separates folders.</summary>
    public const string InputB = "offsets/b";

    /// <summary>Output name.</summary>
    public const string Output = "sum";

    /// <summary>Builds the model for inputs of shape [batch, 4].</summary>
    public static ModelProto Create()
    {
        var graph = new GraphProto { Name = "add" };
        graph.Input.Add(Nodes.TensorInfo(InputA, DataType.Float, "batch", 4));
        graph.Input.Add(Nodes.TensorInfo(InputB, DataType.Float, "batch", 4));
        graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 4));
        graph.Node.Add(Nodes.Create("Add", "add", [InputA, InputB], [Output]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }
}
