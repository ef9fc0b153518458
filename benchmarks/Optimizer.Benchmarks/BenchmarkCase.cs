using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Benchmarks;

/// <summary>
/// One model to benchmark: its name, how to build it, the shape of one input sample, and optionally the
/// compression.yaml written next to it (e.g. to select a quantization mode).
/// </summary>
internal sealed record BenchmarkCase(string Name, Func<ModelProto> Build, string Input, long[] SampleShape, string? Yaml = null);
