using System.Numerics.Tensors;

namespace Optimizer.Core.Calibration;

/// <summary>
/// The plain min/max over all calibration values: every value seen is representable, at the cost of resolution when
/// a few outliers stretch the range. Keeps two floats per tensor.
/// </summary>
public sealed class MinMaxEstimator : IRangeEstimator
{
    private readonly Dictionary<string, TensorRange> _ranges = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public bool NeedsOnlyExtremes => true;

    /// <inheritdoc/>
    public void Observe(string tensor, ReadOnlySpan<float> values)
    {
        var (min, max) = FiniteMinMax(values);
        if (_ranges.TryGetValue(tensor, out var seen))
        {
            _ranges[tensor] = float.IsNaN(min) ? seen : float.IsNaN(seen.Min) ? new(min, max) : new(MathF.Min(seen.Min, min), MathF.Max(seen.Max, max));
        }
        else
        {
            _ranges[tensor] = new(min, max);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, TensorRange> Ranges() =>
        _ranges.ToDictionary(p => p.Key, p => float.IsNaN(p.Value.Min) ? new TensorRange(0f, 0f) : p.Value, StringComparer.Ordinal);

    /// <summary>Min and max of the finite values (NaN, NaN when there are none), vectorized in the common all-finite case.</summary>
    internal static (float Min, float Max) FiniteMinMax(ReadOnlySpan<float> values) => FiniteMinMax(values, out _);

    /// <summary>As <see cref="FiniteMinMax(ReadOnlySpan{float})"/>; <paramref name="allFinite"/> tells whether every value was finite.</summary>
    internal static (float Min, float Max) FiniteMinMax(ReadOnlySpan<float> values, out bool allFinite)
    {
        allFinite = true;
        if (values.IsEmpty)
        {
            return (float.NaN, float.NaN);
        }

        var min = TensorPrimitives.Min(values);
        var max = TensorPrimitives.Max(values);
        if (float.IsFinite(min) && float.IsFinite(max))
        {
            return (min, max);
        }

        allFinite = false;

        // A NaN or infinity would poison the scale; real ranges come from the finite values only.
        float finiteMin = float.PositiveInfinity, finiteMax = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                finiteMin = MathF.Min(finiteMin, v);
                finiteMax = MathF.Max(finiteMax, v);
            }
        }

        return finiteMin > finiteMax ? (float.NaN, float.NaN) : (finiteMin, finiteMax);
    }
}
