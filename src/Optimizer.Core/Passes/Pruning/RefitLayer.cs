using MathNet.Numerics.LinearAlgebra;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// One Conv (2-D, group 1, explicit or automatic padding), Gemm (any transA/transB, alpha and beta) or MatMul seen as
/// a linear map from rows of input features to rows of outputs: builds those rows from recorded activations (im2col
/// patches for Conv, columns of A for a Gemm with transA), refits the effective weights (alpha x B, beta x C) with
/// <see cref="LeastSquaresRefit"/> and writes them back in the layer's own layout and scale.
/// </summary>
internal sealed class RefitLayer
{
    private const int MinRows = 2048;
    private const int MaxRows = 8192;

    private readonly NodeProto _node;
    private readonly TensorProto _weight;
    private readonly TensorProto? _bias;
    private readonly bool _conv;
    private readonly bool _transposed;
    private readonly bool _transposedInput;
    private readonly double _alpha;
    private readonly double _beta;
    private readonly int[] _outputs;
    private readonly int _rowsPerSample;
    private readonly List<double[]> _expectedRows = [];
    private readonly List<long[]> _outputShapes = [];

    private RefitLayer(NodeProto node, TensorProto weight, TensorProto? bias, bool conv, bool transposed, int[]? keptOutputs, int samples)
    {
        // Gemm computes alpha * A' B' + beta * C; the refit works on the effective weights and scales back on write.
        _transposedInput = node.OpType == "Gemm" && Attributes.GetInt(node, "transA", 0) != 0;
        _alpha = node.OpType == "Gemm" ? Attributes.GetFloat(node, "alpha", 1) : 1;
        _beta = node.OpType == "Gemm" ? Attributes.GetFloat(node, "beta", 1) : 1;
        _node = node;
        _weight = weight;
        _bias = bias;
        _conv = conv;
        _transposed = transposed;
        _outputs = keptOutputs ?? Enumerable.Range(0, Outputs).ToArray();
        _rowsPerSample = Math.Max(1, Math.Clamp(4 * Features, MinRows, MaxRows) / samples);
    }

    /// <summary>Inputs per output (weights feeding one output channel, plus one for the bias).</summary>
    public int Features => (int)(_conv ? _weight.Dims[1] * _weight.Dims[2] * _weight.Dims[3] : Inputs) + (_bias is null ? 0 : 1);

    private long Inputs => _conv ? _weight.Dims[1] : _transposed ? _weight.Dims[1] : _weight.Dims[0];

    private int Outputs => (int)(_conv || _transposed ? _weight.Dims[0] : _weight.Dims[1]);

    /// <summary>
    /// The refit view of <paramref name="node"/> (keeping <paramref name="keptOutputs"/> of the original layer's outputs,
    /// null: all) for <paramref name="samples"/> calibration samples, or null with <paramref name="reason"/> when its form is not supported.
    /// </summary>
    public static RefitLayer? For(NodeProto node, IReadOnlyDictionary<string, TensorProto> initializers, int[]? keptOutputs, int samples, out string? reason)
    {
        reason = null;
        var weight = initializers[node.Input[1]];
        var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? initializers.GetValueOrDefault(node.Input[2]) : null;
        if (node.OpType == "Conv")
        {
            reason = weight.Dims.Count != 4 ? "only 2-D convolutions are refitted" : null;
            return reason is null ? new RefitLayer(node, weight, bias, conv: true, transposed: false, keptOutputs, samples) : null;
        }

        var transposed = node.OpType == "Gemm" && Attributes.GetInt(node, "transB", 0) != 0;
        if (node.OpType == "Gemm" && Attributes.GetFloat(node, "alpha", 1) == 0)
        {
            reason = "alpha is 0, so its weight does not reach the output";
            return null;
        }

        // With beta 0 the bias input is ignored by the op, so it is no feature of the fit either.
        var hasBias = node.Input.Count > 2 && node.Input[2].Length > 0 && !(node.OpType == "Gemm" && Attributes.GetFloat(node, "beta", 1) == 0);
        bias = hasBias ? bias : null;
        var outputs = transposed ? weight.Dims[0] : weight.Dims[1];
        if (hasBias && (bias is null || TensorValues.ElementCount(bias.Dims) != outputs || bias.Dims[^1] != outputs))
        {
            reason = "its bias is not one value per output";
            return null;
        }

        return new RefitLayer(node, weight, bias, conv: false, transposed, keptOutputs, samples);
    }

    /// <summary>
    /// Records the unpruned layer's output on the next calibration sample; only the rows the refit will use are kept,
    /// so memory stays bounded by the row budget whatever the activation size.
    /// </summary>
    public void AddExpected(TensorResult output)
    {
        _outputShapes.Add(output.Shape);
        var allOutputs = output.Shape[1];
        foreach (var position in Positions(output.Shape))
        {
            _expectedRows.Add(_conv
                ? _outputs.Select(o => (double)output.Values[((((position.N * allOutputs) + o) * output.Shape[2]) + position.H) * output.Shape[3] + position.W]).ToArray()
                : _outputs.Select(o => (double)output.Values[(position.N * output.Shape[^1]) + o]).ToArray());
        }
    }

    /// <summary>Refits from the pruned model's <paramref name="inputs"/> (one per sample, in the order of <see cref="AddExpected"/>).</summary>
    public void Refit(IReadOnlyList<TensorResult> inputs)
    {
        var xRows = new List<double[]>();
        for (var s = 0; s < inputs.Count; s++)
        {
            foreach (var position in Positions(_outputShapes[s]))
            {
                xRows.Add(_conv ? PatchRow(inputs[s], _outputShapes[s], position) : DenseRow(inputs[s], position.N));
            }
        }

        var x = Matrix<double>.Build.DenseOfRowArrays(xRows);
        var y = Matrix<double>.Build.DenseOfRowArrays(_expectedRows);
        WriteBack(LeastSquaresRefit.Solve(x, y, CurrentWeights()));
    }

    /// <summary>The output positions (batch item, row, column; or row of a dense layer) sampled for the refit, spread evenly.</summary>
    private IEnumerable<(long N, long H, long W)> Positions(long[] outputShape)
    {
        if (_conv)
        {
            var (outH, outW) = (outputShape[2], outputShape[3]);
            return Spread(outputShape[0] * outH * outW, _rowsPerSample).Select(p => (p / (outH * outW), p / outW % outH, p % outW));
        }

        var rows = outputShape[..^1].Aggregate(1L, (product, d) => product * d);
        return Spread(rows, _rowsPerSample).Select(r => (r, 0L, 0L));
    }

    /// <summary>The input patch (im2col row) that produces output position <paramref name="position"/>.</summary>
    private double[] PatchRow(TensorResult input, long[] outputShape, (long N, long H, long W) position)
    {
        var (channels, kh, kw) = ((int)_weight.Dims[1], (int)_weight.Dims[2], (int)_weight.Dims[3]);
        var (height, width) = (input.Shape[2], input.Shape[3]);
        var strides = Ints("strides", 1, 1);
        var dilations = Ints("dilations", 1, 1);
        var pads = BeginPads(input.Shape);
        var row = new double[Features];
        for (var c = 0; c < channels; c++)
        {
            for (var i = 0; i < kh; i++)
            {
                var ih = (position.H * strides[0]) - pads[0] + (i * dilations[0]);
                for (var j = 0; j < kw; j++)
                {
                    var iw = (position.W * strides[1]) - pads[1] + (j * dilations[1]);
                    if (ih >= 0 && ih < height && iw >= 0 && iw < width)
                    {
                        row[(((c * kh) + i) * kw) + j] = input.Values[(((((position.N * channels) + c) * height) + ih) * width) + iw];
                    }
                }
            }
        }

        if (_bias is not null)
        {
            row[^1] = 1;
        }

        return row;
    }

    /// <summary>
    /// The padding before the first row and column: the <c>pads</c> attribute, or what <c>auto_pad</c> implies for
    /// this input size (SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the start), as ConvolutionGeometry works
    /// it out for every convolution.
    /// </summary>
    private long[] BeginPads(long[] inputShape) =>
        [.. Enumerable.Range(0, 2).Select(axis => ConvolutionGeometry.Forward(_node, _weight.Dims[axis + 2], inputShape[axis + 2], axis, 2)?.PadBegin ?? 0)];

    /// <summary>Row <paramref name="index"/> of the input features: a row of A, or a column of A for a Gemm with transA.</summary>
    private double[] DenseRow(TensorResult input, long index)
    {
        var features = (int)Inputs;
        var row = new double[Features];
        for (var k = 0; k < features; k++)
        {
            row[k] = _transposedInput ? input.Values[(k * input.Shape[1]) + index] : input.Values[(index * features) + k];
        }

        if (_bias is not null)
        {
            row[^1] = 1;
        }

        return row;
    }

    /// <summary>The current weights as a features x outputs matrix (the prior the refit shrinks towards).</summary>
    private Matrix<double> CurrentWeights()
    {
        var values = TensorValues.ReadFloats(_weight);
        var bias = _bias is null ? null : TensorValues.ReadFloats(_bias);
        var inputs = Features - (_bias is null ? 0 : 1);
        var outputs = _outputs.Length;
        return Matrix<double>.Build.Dense(Features, outputs, (f, o) =>
            f == inputs ? _beta * bias![o]
            : _alpha * (_conv || _transposed ? values[(o * inputs) + f] : values[(f * outputs) + o]));
    }

    private void WriteBack(Matrix<double> solution)
    {
        var inputs = Features - (_bias is null ? 0 : 1);
        var outputs = _outputs.Length;
        var weights = new float[inputs * outputs];
        for (var f = 0; f < inputs; f++)
        {
            for (var o = 0; o < outputs; o++)
            {
                weights[_conv || _transposed ? (o * inputs) + f : (f * outputs) + o] = (float)(solution[f, o] / _alpha);
            }
        }

        TensorSlicing.Overwrite(_weight, weights);
        if (_bias is not null)
        {
            TensorSlicing.Overwrite(_bias, Enumerable.Range(0, outputs).Select(o => (float)(solution[inputs, o] / _beta)).ToArray());
        }
    }

    /// <summary><paramref name="count"/> indices spread evenly over [0, <paramref name="total"/>) (all when fewer).</summary>
    private static IEnumerable<long> Spread(long total, int count) =>
        total <= count ? Enumerable.Range(0, (int)total).Select(i => (long)i) : Enumerable.Range(0, count).Select(i => i * total / count);

    private long[] Ints(string name, params long[] fallback) =>
        Attributes.Find(_node, name) is { Ints.Count: > 0 } attribute ? attribute.Ints.ToArray() : fallback;
}
