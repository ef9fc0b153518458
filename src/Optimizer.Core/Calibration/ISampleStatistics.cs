using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Small per-sample vectors that calibration computes inside ONNX Runtime in the same runs that measure activation
/// extremes (<see cref="ExtremeValuesSession"/>), concatenated into the same output, so a statistic a later step needs
/// costs a few nodes per run rather than a session and runs of its own (and no output fetch per vector, which costs
/// more than the pooling behind it: measured).
/// </summary>
internal interface ISampleStatistics
{
    /// <summary>Whether there is anything to compute: a statistic over no layers adds nothing and needs no run.</summary>
    bool IsEmpty { get; }

    /// <summary>
    /// Adds to <paramref name="model"/> (the calibration copy of the float model) nodes that compute 1-D float tensors;
    /// returns their names. Their lengths may depend on the sample (its batch): the statistic works them out itself,
    /// for instance from shapes it places first.
    /// </summary>
    IReadOnlyList<string> AddTo(ModelProto model, UniqueNames names);

    /// <summary>One sample's tensors, concatenated in the order <see cref="AddTo"/> returned them.</summary>
    void Observe(ReadOnlySpan<float> values);
}
