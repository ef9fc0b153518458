using System.Text.Json;
using System.Text.Json.Serialization;

namespace Optimizer.Core.Verification;

/// <summary>How an optimized model's fidelity was measured; the report records it because the paths prove different things.</summary>
[JsonConverter(typeof(VerificationPathJsonConverter))]
public enum VerificationPath
{
    /// <summary>The optimized model itself ran in ONNX Runtime's CPU provider on every verification sample.</summary>
    OnnxRuntimeCpu,

    /// <summary>
    /// The float16 model was loaded and run once in ONNX Runtime's CPU provider (which proves ORT accepts it), and its
    /// numbers were measured on a float32 emulation that rounds to float16 wherever a GPU would
    /// (<see cref="ReducedPrecisionEmulation"/>): a CPU run alone would hide float16 overflow.
    /// </summary>
    Float16Emulation,

    /// <summary>
    /// The bfloat16 model's numbers were measured on its float32 emulation only: ONNX Runtime's CPU provider has no
    /// bfloat16 kernels for arithmetic ops (only Cast, Transpose, Identity and the like), so the model itself cannot run here.
    /// </summary>
    Bfloat16Emulation,
}

/// <summary>Writes <see cref="VerificationPath"/> as kebab-case text (<c>float16-emulation</c>) in JSON reports.</summary>
internal sealed class VerificationPathJsonConverter() : JsonStringEnumConverter<VerificationPath>(JsonNamingPolicy.KebabCaseLower);
