using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Benchmarks;

/// <summary>One model to benchmark: its name, how to build it, and the shape of one input sample.</summary>
internal sealed record BenchmarkCase(string Name, Func<ModelProto> Build, string Input, long[] SampleShape);
