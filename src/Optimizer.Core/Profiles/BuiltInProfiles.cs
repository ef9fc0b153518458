using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Profiles;

/// <summary>What a profile does to the model's numbers.</summary>
public enum ProfileKind
{
    /// <summary>Static INT8 quantization in QDQ form, fused into integer kernels by ONNX Runtime's CPU provider.</summary>
    Int8,

    /// <summary>Float16 weights and activations for GPUs, with unsafe ops kept in float32.</summary>
    Float16,
}

/// <summary>A built-in hardware profile: its name, kind and the execution provider its models are meant for.</summary>
public sealed record BuiltInProfile(string Name, ProfileKind Kind, string ExecutionProvider, string Description);

/// <summary>The profiles every configuration can use without declaring them.</summary>
public static class BuiltInProfiles
{
    /// <summary>CPU INT8: QDQ with uint8 activations and per-channel int8 weights.</summary>
    public static BuiltInProfile CpuInt8 { get; } = new("cpu-int8", ProfileKind.Int8, "CPUExecutionProvider",
        "static INT8 quantization (QDQ, uint8 activations, per-channel int8 weights)");

    /// <summary>GPU FP16: float16 weights and activations, float32 IO.</summary>
    public static BuiltInProfile GpuFp16 { get; } = new("gpu-fp16", ProfileKind.Float16, "CUDAExecutionProvider",
        "float16 conversion with float32 inputs/outputs");

    /// <summary>All built-in profiles, in the order outputs are produced when none is named.</summary>
    public static IReadOnlyList<BuiltInProfile> All { get; } = [CpuInt8, GpuFp16];

    /// <summary>The built-in profile names.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(p => p.Name).ToList();

    /// <summary>The built-in profile called <paramref name="name"/>.</summary>
    public static BuiltInProfile Get(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new OptimizerException(ErrorCodes.UnknownProfile, $"Unknown profile '{name}'. Built-in profiles: {string.Join(", ", Names)}.");
}
