using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Checks a loaded model before any pass touches it: versions ONNX Runtime supports, a well-formed graph and tensors
/// whose data agrees with their dims. A hostile or damaged file then fails at load with a coded error naming the node
/// or tensor, instead of crashing a pass or being written out silently broken.
/// </summary>
public static class ModelValidator
{
    /// <summary>The newest IR version the bundled ONNX Runtime (1.31) loads.</summary>
    public const long NewestIrVersion = 13;

    /// <summary>The newest default-domain opset the bundled ONNX Runtime (1.31) loads.</summary>
    public const long NewestDefaultOpset = 26;

    /// <summary>Throws <see cref="OptimizerException"/> for the first problem found; <paramref name="origin"/> is the model's path.</summary>
    public static void Validate(ModelProto model, string origin)
    {
        CheckVersions(model, origin);
        foreach (var graph in ModelWalker.AllGraphs(model))
        {
            CheckDomains(model, graph, origin);
        }

        GraphValidator.Check(model, origin);
        TensorValidator.Check(model, origin);
    }

    private static void CheckVersions(ModelProto model, string origin)
    {
        if (model.IrVersion > NewestIrVersion)
        {
            throw new OptimizerException(ErrorCodes.ModelOpsetUnsupported,
                $"The model has IR version {model.IrVersion}; the bundled ONNX Runtime reads IR versions up to {NewestIrVersion}. Export it with an older ONNX version.", origin);
        }

        foreach (var import in model.OpsetImport.Where(o => Opsets.IsDefaultDomain(o.Domain)))
        {
            if (import.Version < 1 || import.Version > NewestDefaultOpset)
            {
                throw new OptimizerException(ErrorCodes.ModelOpsetUnsupported,
                    $"The model imports ONNX opset {import.Version}; the bundled ONNX Runtime supports opsets 1 to {NewestDefaultOpset}. Export it with a supported opset.", origin);
            }
        }
    }

    // Nodes of other domains are never rewritten, but a domain without an import makes the model invalid for every runtime.
    private static void CheckDomains(ModelProto model, GraphProto graph, string origin)
    {
        foreach (var node in graph.Node)
        {
            if (string.IsNullOrEmpty(node.OpType))
            {
                throw new OptimizerException(ErrorCodes.ModelGraphInvalid, $"Node '{node.Name}' in graph '{graph.Name}' has no op type.", origin);
            }

            if (!Opsets.IsDefaultDomain(node.Domain) && !model.OpsetImport.Any(o => o.Domain == node.Domain))
            {
                throw new OptimizerException(ErrorCodes.ModelOpsetUnsupported,
                    $"Node '{node.Name}' ({node.Domain}.{node.OpType}) in graph '{graph.Name}' uses domain '{node.Domain}', which the model does not import (opset_import).", origin);
            }
        }
    }
}
