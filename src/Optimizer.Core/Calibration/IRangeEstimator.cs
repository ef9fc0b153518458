namespace Optimizer.Core.Calibration;

/// <summary>The float interval a tensor's quantization must cover, as estimated from calibration data.</summary>
public readonly record struct TensorRange(float Min, float Max)
{
    /// <summary>The interval widened to contain 0, so that 0 (padding, Relu's floor) quantizes exactly.</summary>
    public TensorRange IncludingZero() => new(MathF.Min(Min, 0f), MathF.Max(Max, 0f));
}

/// <summary>
/// Turns the activation values seen during calibration into one range per tensor. Values arrive one tensor of one
/// sample at a time, so an estimator must keep only a bounded summary per tensor (memory may not grow with the
/// number of samples). MinMax, percentile and entropy calibration differ only here.
/// </summary>
public interface IRangeEstimator
{
    /// <summary>
    /// True when the estimator only needs each sample's smallest and largest finite value, not every value: the
    /// collector then computes them inside ONNX Runtime and copies two numbers per tensor out instead of the tensor.
    /// </summary>
    bool NeedsOnlyExtremes => false;

    /// <summary>Adds the values of <paramref name="tensor"/> from one calibration sample.</summary>
    void Observe(string tensor, ReadOnlySpan<float> values);

    /// <summary>The estimated range of every observed tensor; a tensor that only ever held NaN or no values maps to [0, 0].</summary>
    IReadOnlyDictionary<string, TensorRange> Ranges();
}
