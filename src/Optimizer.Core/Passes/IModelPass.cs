using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes;

/// <summary>
/// One compression technique applied to a model for one profile (quantize, convert to float16, prune, ...).
/// The pipeline runs passes in order; each mutates the model it is given, or returns a new one.
/// </summary>
public interface IModelPass
{
    /// <summary>Short name for logs and reports, e.g. <c>quantize-int8</c>.</summary>
    string Name { get; }

    /// <summary>Applies the pass and returns the resulting model (the same instance when edited in place).</summary>
    ModelProto Apply(ModelProto model, PassContext context);
}
