using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>The static reasons (no calibration needed) a node must run in float32.</summary>
internal static class Float16Rules
{
    /// <summary>Why <paramref name="node"/> must stay float32, or null when it can run in float16.</summary>
    public static string? BlockReason(NodeProto node, GraphProto graph, TensorElementTypes types, IReadOnlyDictionary<TensorKey, TensorProto> weights, Float16Options options)
    {
        var isDefault = Opsets.IsDefaultDomain(node.Domain);
        if (isDefault && Float16OpTables.ControlFlow.Contains(node.OpType))
        {
            return null;
        }

        if (node.Output.Count == 1 && weights.ContainsKey(new TensorKey(graph, node.Output[0])))
        {
            return null;
        }

        if (node.Domain == "ai.onnx.ml")
        {
            return "ai.onnx.ml ops have no float16 kernels";
        }

        if (options.BlockOps.Contains(node.OpType))
        {
            return $"op type {node.OpType} is in the float16 block list";
        }

        if (options.BlockNodeNames.Contains(node.Name))
        {
            return "the node is named in the float16 block list";
        }

        // An op whose float output does not follow a float input (EyeLike or a random generator taken off the block list) would keep emitting float32.
        var floatOutput = node.Output.Where((o, i) => o.Length > 0 && types.Get(graph, o) == DataType.Float
            && !(Float16OpTables.Float32Outputs.TryGetValue(node.OpType, out var fixedOutputs) && fixedOutputs.Contains(i))).Any();
        var floatInput = node.Input.Any(i => types.Get(graph, i) == DataType.Float);
        if (floatOutput && !floatInput && !(isDefault && Float16OpTables.AttributeTyped.Contains(node.OpType)))
        {
            return "its float32 output type is fixed by the op, not by its inputs";
        }

        return null;
    }
}
