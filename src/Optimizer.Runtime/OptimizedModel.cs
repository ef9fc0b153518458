namespace Optimizer.Runtime;

/// <summary>One model file the build produced, as listed in <c>optimized-models.json</c>.</summary>
/// <param name="Model">The original model's path in the output (forward slashes), e.g. <c>models/net.onnx</c>: the name app code asks for.</param>
/// <param name="Profile">The profile that produced it (<c>cpu-int8</c>, <c>gpu-fp16</c>, ...), or <c>original</c> when compression was disabled.</param>
/// <param name="File">The file's path in the output (forward slashes), e.g. <c>models/net.cpu-int8.onnx</c>.</param>
/// <param name="Bytes">The file's size.</param>
/// <param name="Sha256">The file's SHA-256, lowercase hex.</param>
/// <param name="ExecutionProvider">The ONNX Runtime execution provider it is meant for, e.g. <c>CUDAExecutionProvider</c>.</param>
/// <param name="Cosine">Cosine similarity of its outputs to the original's on the verification samples.</param>
/// <param name="Top1Agreement">Share of samples whose top-1 class matches the original's, or null without a class axis.</param>
public sealed record OptimizedModel(string Model, string Profile, string File, long Bytes, string Sha256, string ExecutionProvider, double? Cosine, double? Top1Agreement);
