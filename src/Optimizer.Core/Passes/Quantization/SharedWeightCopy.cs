using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Copies of a model that share its main-graph initializers instead of duplicating them. The pass builds several
/// models from one float model (the first QDQ model, the error probe, the corrected model, fallback candidates); with
/// shared weights each copy costs only its graph structure, so peak memory stays near one copy of the weights.
/// Safe because nothing in the pass changes an initializer in place: quantized and corrected tensors are new ones.
/// </summary>
internal static class SharedWeightCopy
{
    /// <summary>A deep copy of <paramref name="model"/> except for its main graph's initializers, which both share.</summary>
    public static ModelProto Of(ModelProto model)
    {
        var initializers = model.Graph.Initializer.ToList();
        model.Graph.Initializer.Clear();
        try
        {
            var copy = model.Clone();
            copy.Graph.Initializer.AddRange(initializers);
            return copy;
        }
        finally
        {
            model.Graph.Initializer.AddRange(initializers);
        }
    }
}
