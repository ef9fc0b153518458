namespace Optimizer.Benchmarks;

/// <summary>The measured ratios of one benchmark case.</summary>
internal sealed record CaseResult(
    string Name,
    long WeightBytes,
    double Int8SizeRatio,
    double Fp16SizeRatio,
    double Int8Cosine,
    double Fp16Cosine,
    double Fp32Milliseconds,
    double Int8LatencyRatio,
    double Fp16CpuLatencyRatio,
    double ToolSeconds,
    double ToolTimeRatio,
    double PeakMemoryRatio,
    double Int8HeldOutCosine,
    double? Int8HeldOutTop1,
    double Int8PassSeconds,
    double InferenceSeconds);
