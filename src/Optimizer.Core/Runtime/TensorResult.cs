namespace Optimizer.Core.Runtime;

/// <summary>One output of an ONNX Runtime run, converted to float32 so fidelity metrics compare any numeric type.</summary>
public sealed record TensorResult(string Name, long[] Shape, float[] Values);
