using System.Numerics.Tensors;

namespace Optimizer.Core.Verification;

/// <summary>
/// Streams one output's original and optimized values, sample by sample, into cosine similarity, max absolute error
/// and top-1 agreement, so verification memory does not grow with the number of samples.
/// </summary>
internal sealed class FidelityAccumulator(string output)
{
    private double _dot;
    private double _originalNorm;
    private double _optimizedNorm;
    private double _maxAbsError;
    private int _top1Rows;
    private int _top1Agreeing;
    private bool _nonFinite;

    /// <summary>Adds one sample's output; the last dimension is the class axis for top-1 agreement.</summary>
    public void Add(ReadOnlySpan<float> original, ReadOnlySpan<float> optimized, long classes)
    {
        if (original.Length != optimized.Length)
        {
            throw new InvalidOperationException($"Output '{output}' has {optimized.Length} values in the optimized model but {original.Length} in the original.");
        }

        for (var i = 0; i < original.Length; i++)
        {
            var a = (double)original[i];
            var b = (double)optimized[i];
            if (!double.IsFinite(b))
            {
                _nonFinite = true;
                continue;
            }

            _dot += a * b;
            _originalNorm += a * a;
            _optimizedNorm += b * b;
            _maxAbsError = Math.Max(_maxAbsError, Math.Abs(a - b));
        }

        if (classes > 1 && original.Length % classes == 0)
        {
            for (var row = 0; row < original.Length; row += (int)classes)
            {
                _top1Rows++;
                if (TensorPrimitives.IndexOfMax(original.Slice(row, (int)classes)) == TensorPrimitives.IndexOfMax(optimized.Slice(row, (int)classes)))
                {
                    _top1Agreeing++;
                }
            }
        }
    }

    /// <summary>The metrics so far. A non-finite optimized value makes the cosine 0: such a model is broken.</summary>
    public OutputFidelity Result()
    {
        var cosine = _nonFinite ? 0
            : _originalNorm == 0 && _optimizedNorm == 0 ? 1
            : _dot / Math.Sqrt(Math.Max(_originalNorm * _optimizedNorm, double.Epsilon));
        return new OutputFidelity(output, cosine, _nonFinite ? double.PositiveInfinity : _maxAbsError,
            _top1Rows == 0 ? null : _top1Agreeing / (double)_top1Rows);
    }
}
