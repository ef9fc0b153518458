using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// ONNX Runtime's contrib-op domain, which the dynamic and weight-only modes write their kernels in
/// (DynamicQuantizeMatMul, DynamicQuantizeLSTM, MatMulNBits); a model using it must import it.
/// </summary>
internal static class ContribOps
{
    /// <summary>The domain name.</summary>
    public const string Domain = "com.microsoft";

    /// <summary>A node of the contrib domain.</summary>
    public static NodeProto Create(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = Nodes.Create(opType, name, inputs, outputs, attributes);
        node.Domain = Domain;
        return node;
    }

    /// <summary>Adds the domain (version 1) to <paramref name="model"/>'s opset imports unless it is there.</summary>
    public static void Import(ModelProto model)
    {
        if (!model.OpsetImport.Any(o => o.Domain == Domain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = Domain, Version = 1 });
        }
    }
}
