using Optimizer.Core.Onnx;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>What unstructured pruning did: how many weights it zeroed out of how many it considered.</summary>
internal sealed record MagnitudeResult(int Layers, long Zeroed, long Considered);

/// <summary>
/// Unstructured magnitude pruning: zeroes the weights of smallest absolute value in Conv/Gemm/MatMul weights, per
/// tensor (layer scope) or under one threshold for all of them (global scope). Shapes are unchanged, so the model
/// runs exactly as before; the zeros pay off in the compressed size.
/// </summary>
internal static class MagnitudePruner
{
    public static MagnitudeResult Prune(IReadOnlyList<PrunableLayer> layers, double sparsity, MagnitudeScope scope)
    {
        var values = layers.Select(l => TensorValues.ReadFloats(l.Weight)).ToList();
        var considered = values.Sum(v => (long)v.Length);
        float? globalThreshold = scope == MagnitudeScope.Global ? Threshold(values.SelectMany(v => v).ToArray(), sparsity) : null;
        long zeroed = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            var weights = values[i];
            var threshold = globalThreshold ?? Threshold(weights, sparsity);
            var budget = scope == MagnitudeScope.Layer ? (long)Math.Floor(sparsity * weights.Length) : long.MaxValue;
            long zeroedHere = 0;
            for (var j = 0; j < weights.Length && zeroedHere < budget; j++)
            {
                // Ties at the threshold are zeroed only up to the layer's budget, so sparsity is exact per layer.
                if (MathF.Abs(weights[j]) <= threshold)
                {
                    weights[j] = 0;
                    zeroedHere++;
                }
            }

            zeroed += zeroedHere;
            TensorSlicing.Overwrite(layers[i].Weight, weights);
        }

        return new MagnitudeResult(layers.Count, zeroed, considered);
    }

    /// <summary>The largest |w| among the <paramref name="sparsity"/> fraction of smallest values (-1 when none is removed).</summary>
    private static float Threshold(float[] values, double sparsity)
    {
        var count = (long)Math.Floor(sparsity * values.Length);
        if (count == 0)
        {
            return -1;
        }

        var magnitudes = Array.ConvertAll(values, MathF.Abs);
        Array.Sort(magnitudes);
        return magnitudes[count - 1];
    }
}
