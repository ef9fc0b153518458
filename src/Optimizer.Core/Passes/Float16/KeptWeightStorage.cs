using System.Globalization;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// Decides whether a weight that only float32 nodes read (nodes kept for overflow, blocked ops and names, float32-only
/// op inputs) may still be stored in the 16-bit format with one Cast back to float32. Keeping a node in float32 is
/// about its activations (range) and its arithmetic; its weights only need to survive the rounding. In audio
/// front-ends these weights (STFT kernels, mel filters) are most of the model, so storing them exactly doubled its size.
/// </summary>
internal static class KeptWeightStorage
{
    /// <summary>
    /// Weights with fewer values stay float32: the Cast node and its output name cost about as many bytes as the
    /// 2 bytes per value saved, and scalars such as epsilons gain nothing from rounding.
    /// </summary>
    public const int MinValues = 64;

    /// <summary>Why <paramref name="tensor"/> must stay exact float32, or null when storing it rounded is safe.</summary>
    public static string? Float32Reason(TensorProto tensor, Float16Options options)
    {
        var values = TensorValues.ReadFloats(tensor);
        if (values.Length < MinValues)
        {
            return $"under {MinValues} values each, a Cast would cost about what it saves";
        }

        var precision = options.Precision;
        var max = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(values));
        if (!float.IsFinite(max) || max > precision.MaxValue())
        {
            return string.Create(CultureInfo.InvariantCulture, $"it holds |w| = {max:G4}, beyond {precision.Name()}'s range");
        }

        var error = RelativeError(values, TensorTypeConverter.Rounded(values, precision));
        return error > options.KeptWeightTolerance
            ? string.Create(CultureInfo.InvariantCulture,
                $"rounding to {precision.Name()} would change it by {error:G3} (relative L2 error), above kept_weight_tolerance {options.KeptWeightTolerance:G3}")
            : null;
    }

    /// <summary>‖a − b‖₂ / ‖a‖₂, accumulated in double; 0 for an all-zero tensor (which rounds exactly).</summary>
    private static double RelativeError(float[] exact, float[] rounded)
    {
        double error = 0, norm = 0;
        for (var i = 0; i < exact.Length; i++)
        {
            var difference = (double)exact[i] - rounded[i];
            error += difference * difference;
            norm += (double)exact[i] * exact[i];
        }

        return norm == 0 ? 0 : Math.Sqrt(error / norm);
    }
}
