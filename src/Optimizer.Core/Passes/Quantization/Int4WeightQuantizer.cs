using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// Weight-only 4-bit quantization: each MatMul or Gemm weight [K, N] becomes ONNX Runtime's
/// <c>com.microsoft.MatMulNBits</c> (bits 4): for every output column, blocks of <see cref="QuantizationOptions.BlockSize"/>
/// consecutive weights along K share one float scale and (unless symmetric) one 4-bit zero point; activations stay
/// float. A Gemm's alpha is folded into the weight and beta · C becomes MatMulNBits' bias input. About 4.5 bits per
/// weight, for weight-dominated models where int8 activations are not worth their accuracy cost.
/// </summary>
internal static class Int4WeightQuantizer
{
    private const int Levels = 15;

    /// <summary>The zero point MatMulNBits assumes when none is stored, and the one symmetric blocks use.</summary>
    private const int ImplicitZeroPoint = 8;

    /// <summary>
    /// Rewrites every MatMul and Gemm whose weight has at least one full block of rows; returns the report note. Gemms
    /// that must stay float are named in a warning to <paramref name="sink"/>.
    /// </summary>
    public static string Apply(ModelProto model, QuantizationOptions options, IDiagnosticSink sink)
    {
        var blockSize = options.BlockSize;
        if (blockSize < 16 || (blockSize & (blockSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), blockSize, "MatMulNBits needs a block size that is a power of two of at least 16.");
        }

        var matMuls = MatMulWeights.Find(model, options, sink, minInner: blockSize);
        var graph = model.Graph;
        var names = new UniqueNames(model);
        var packed = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var gemms = matMuls.Count(m => m.Node.OpType == "Gemm");
        var replaced = new List<string>();
        foreach (var matMul in matMuls)
        {
            var node = matMul.Node;
            if (!packed.TryGetValue(matMul.Key, out var inputs))
            {
                var blocks = Quantize(matMul.Values(), matMul.K, matMul.N, blockSize, options.Int4Symmetric);
                var blockCount = (matMul.K + blockSize - 1) / blockSize;
                var weight = TensorValues.Create<byte>(names.Take($"{matMul.Weight.Name}_int4"), DataType.Uint8, [matMul.N, blockCount, blockSize / 2], blocks.Codes);
                var scales = TensorValues.FromFloats(names.Take($"{matMul.Weight.Name}_int4_scales"), [matMul.N * (long)blockCount], blocks.Scales);
                graph.Initializer.Add(weight);
                graph.Initializer.Add(scales);
                inputs = [weight.Name, scales.Name, ""];
                if (blocks.ZeroPoints is { } zeroPoints)
                {
                    var zeroPointTensor = TensorValues.Create<byte>(names.Take($"{matMul.Weight.Name}_int4_zero_points"), DataType.Uint8, [zeroPoints.Length], zeroPoints);
                    graph.Initializer.Add(zeroPointTensor);
                    inputs[2] = zeroPointTensor.Name;
                }

                packed[matMul.Key] = inputs;
            }

            var activation = node.Input[0];
            replaced.AddRange(node.Input.Skip(1));
            node.OpType = "MatMulNBits";
            node.Domain = ContribOps.Domain;
            node.Input.Clear();
            node.Input.Add([activation, inputs[0], inputs[1]]);
            if (matMul.Bias is { } bias)
            {
                // MatMulNBits' optional inputs are positional: zero_points (3), g_idx (4), bias (5).
                var tensor = TensorValues.FromFloats(names.Take($"{node.Name}_bias"), [bias.Length], bias);
                graph.Initializer.Add(tensor);
                node.Input.Add([inputs[2], "", tensor.Name]);
            }
            else if (inputs[2].Length > 0)
            {
                node.Input.Add(inputs[2]);
            }

            // Gemm's alpha, beta and transB are folded into the packed weight and the bias.
            node.Attribute.Clear();
            node.Attribute.Add(Attributes.Int("K", matMul.K));
            node.Attribute.Add(Attributes.Int("N", matMul.N));
            node.Attribute.Add(Attributes.Int("bits", 4));
            node.Attribute.Add(Attributes.Int("block_size", blockSize));
        }

        if (matMuls.Count == 0)
        {
            return $"weight-only int4 found no MatMul or Gemm with a 2-D float weight of at least {blockSize} rows; the model is unchanged";
        }

        ContribOps.Import(model);
        InitializerCleanup.RemoveUnused(model, graph, replaced.Distinct());
        return $"weight-only int4: {matMuls.Count - gemms} MatMul(s) and {gemms} Gemm(s) as MatMulNBits (block size {blockSize}, {(options.Int4Symmetric ? "symmetric" : "with zero points")}), activations float";
    }

    /// <summary>
    /// The MatMulNBits layout of a [K, N] weight: codes [N, blocks, blockSize/2] packed two per byte (low nibble first)
    /// along K, one scale per (column, block), and zero points packed two per byte per column (null when symmetric).
    /// Rows past K in the last block get the zero point, so they dequantize to exactly 0.
    /// </summary>
    internal static (byte[] Codes, float[] Scales, byte[]? ZeroPoints) Quantize(float[] weight, int k, int n, int blockSize, bool symmetric)
    {
        var blocks = (k + blockSize - 1) / blockSize;
        var codes = new byte[n * blocks * blockSize / 2];
        var scales = new float[n * blocks];
        var zeroPointBytes = (blocks + 1) / 2;
        var zeroPoints = symmetric ? null : new byte[n * zeroPointBytes];
        for (var column = 0; column < n; column++)
        {
            for (var block = 0; block < blocks; block++)
            {
                var (min, max) = (0f, 0f);
                var end = Math.Min(k, (block + 1) * blockSize);
                for (var row = block * blockSize; row < end; row++)
                {
                    var w = weight[(row * n) + column];
                    if (float.IsFinite(w))
                    {
                        (min, max) = (MathF.Min(min, w), MathF.Max(max, w));
                    }
                }

                // Symmetric blocks use codes 1..15 around 8, so +max and -max are both exact; asymmetric ones span [min, max] (0 included).
                var scale = symmetric ? MathF.Max(-min, max) / (ImplicitZeroPoint - 1) : (max - min) / Levels;
                scale = scale > QuantizationParameters.TinyScale && float.IsFinite(scale) ? scale : 1f;
                var zeroPoint = symmetric ? ImplicitZeroPoint : Math.Clamp((int)MathF.Round(-min / scale, MidpointRounding.ToEven), 0, Levels);
                scales[(column * blocks) + block] = scale;
                if (zeroPoints is not null)
                {
                    zeroPoints[(column * zeroPointBytes) + (block / 2)] |= (byte)(zeroPoint << (4 * (block % 2)));
                }

                for (var j = 0; j < blockSize; j++)
                {
                    var row = (block * blockSize) + j;
                    var code = row < k ? QuantizationParameters.Quantize(weight[(row * n) + column], scale, zeroPoint, 0, Levels) : zeroPoint;
                    codes[(((column * blocks) + block) * blockSize / 2) + (j / 2)] |= (byte)(code << (4 * (j % 2)));
                }
            }
        }

        return (codes, scales, zeroPoints);
    }
}
