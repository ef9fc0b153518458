using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// The mean of each input channel (Conv, ConvTranspose) or input feature (Gemm, MatMul) of the layers bias correction
/// reads, over every calibration sample, computed inside ORT during calibration (GlobalAveragePool, or ReduceMean over the
/// rows of a MatMul or Gemm input) together with each convolution's <see cref="ConvolutionTaps"/> coverage for the sample's
/// spatial size (from <see cref="SpatialSizes"/>, or a Shape node where the graph does not give it). Layers reading the
/// same tensor share its vectors. Given the ranges the quantized model represents each input with, it also measures the
/// means of the inputs clipped to those ranges (Clip before the pooling), which is what the int8 layer sees on average
/// when calibration clipped values (entropy, percentile, mse).
/// </summary>
internal sealed class LayerInputMeans : ISampleStatistics
{
    private readonly long _opset;
    private readonly List<Request> _requests = [];
    private readonly Dictionary<string, Layer> _layers = new(StringComparer.Ordinal);

    /// <summary>
    /// Prepares the vectors for the nodes of <paramref name="floatModel"/> named in <paramref name="nodes"/>; a convolution
    /// whose input size <paramref name="spatialSizes"/> gives (every sample has the same) needs no Shape measured. An input
    /// listed in <paramref name="quantizedRanges"/> also has its clipped means measured.
    /// </summary>
    public LayerInputMeans(ModelProto floatModel, IEnumerable<string> nodes, IReadOnlyDictionary<string, long[]>? spatialSizes = null,
        IReadOnlyDictionary<string, TensorRange>? quantizedRanges = null)
    {
        _opset = Opsets.DefaultDomainVersion(floatModel);
        var wanted = nodes.ToHashSet(StringComparer.Ordinal);
        var initializers = floatModel.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var node in floatModel.Graph.Node.Where(n => wanted.Contains(n.Name) && n.Input.Count >= 2))
        {
            if (!initializers.TryGetValue(node.Input[1], out var weight) || (DataType)weight.DataType != DataType.Float)
            {
                continue;
            }

            var dims = weight.Dims;
            var shape = node.OpType switch
            {
                "Conv" when dims.Count >= 3 => new Request(node.Input[0], Reduction.Channels, dims[1] * Attributes.GetInt(node, "group", 1), dims.Count),
                "ConvTranspose" when dims.Count >= 3 => new Request(node.Input[0], Reduction.Channels, dims[0], dims.Count),
                "Gemm" when dims.Count == 2 => new Request(node.Input[0],
                    Attributes.GetInt(node, "transA", 0) != 0 ? Reduction.Columns : Reduction.Rows,
                    Attributes.GetInt(node, "transB", 0) != 0 ? dims[1] : dims[0], 2),
                "MatMul" when dims.Count == 2 => new Request(node.Input[0], Reduction.Rows, dims[0], 0),
                _ => null,
            };
            if (shape is null)
            {
                continue;
            }

            var index = Find(shape);
            // A new request, not `shape with { ... }`: a record copy would share the original's sums.
            var clipped = quantizedRanges?.GetValueOrDefault(shape.Tensor) is { } range
                ? Find(new Request(shape.Tensor, shape.How, shape.Length, shape.Rank, range)) : index;
            var kernel = shape.How == Reduction.Channels ? dims.Skip(2).ToArray() : null;
            _layers[node.Name] = new Layer(node, index, clipped, kernel);
            if (kernel is not null && !ConvolutionTaps.IsPointwise(node, kernel))
            {
                // A Shape of a blocked-layout tensor costs a layout conversion per run (measured: 15% of MobileNetV2's
                // calibration runs at 224 px), so the size is measured only where the graph does not give it.
                _requests[index].StaticSpatial ??= spatialSizes?.GetValueOrDefault(shape.Tensor);
                _requests[index].NeedsSpatialSize |= _requests[index].StaticSpatial is null;
            }
        }
    }

    /// <summary>How a tensor is averaged down to one value per channel or feature.</summary>
    private enum Reduction
    {
        /// <summary>[batch, channels, spatial...]: over everything but axis 1 (the batch size is reported too, and the spatial size where needed).</summary>
        Channels,

        /// <summary>[..., features]: over every row.</summary>
        Rows,

        /// <summary>[features, rows] (a Gemm with transA): over axis 1.</summary>
        Columns,
    }

    /// <summary>
    /// The input means of <paramref name="node"/> (one per input channel or feature), the means of the input as its
    /// quantized range clips it (the same means when no range was given), and for a convolution its kernel taps'
    /// coverage, averaged over the samples; false when the node was not measured or a mean is not finite.
    /// </summary>
    public bool TryGet(string node, out double[] means, out double[] clippedMeans, out double[]? coverage)
    {
        (means, clippedMeans, coverage) = ([], [], null);
        if (!_layers.TryGetValue(node, out var layer) || Averages(layer.Request) is not { } raw || Averages(layer.Clipped) is not { } clipped
            || (layer.Kernel is not null && layer.CoverageSamples == 0))
        {
            return false;
        }

        (means, clippedMeans) = (raw, clipped);
        coverage = layer.CoverageSums?.Select(s => s / layer.CoverageSamples).ToArray();
        return true;
    }

    /// <summary>
    /// Runs the samples through <paramref name="model"/> (the float model these means were prepared for) only for these
    /// means: for calibrations whose clipping is known only once their ranges are chosen.
    /// </summary>
    public void Measure(ModelProto model, CalibrationSet calibration, PhaseTimer timer) =>
        // No tensors to measure: the extremes session then carries only these statistics.
        ActivationCollector.Collect(model, [], calibration, new MinMaxEstimator(), progress: null, timer, this);

    private int Find(Request wanted)
    {
        var index = _requests.FindIndex(r => r.Tensor == wanted.Tensor && r.How == wanted.How && r.Length == wanted.Length && r.Clip == wanted.Clip);
        if (index < 0)
        {
            _requests.Add(wanted);
            index = _requests.Count - 1;
        }

        return index;
    }

    private double[]? Averages(int request) =>
        _requests[request] is { Samples: > 0 } r && r.Sums.All(double.IsFinite) ? r.Sums.Select(s => s / r.Samples).ToArray() : null;

    /// <inheritdoc/>
    public IReadOnlyList<string> AddTo(ModelProto model, UniqueNames names)
    {
        var graph = model.Graph;
        var flat = names.Take("input_means_flat_shape");
        graph.Initializer.Add(TensorValues.Create(flat, DataType.Int64, [1], [-1L]));
        // Fixed lengths first (a conv input's shape, a dense input's feature means), then the conv inputs' channel
        // means, batch x channels long: Observe reads each batch size from the shapes before it.
        var fixedLength = new List<string>();
        var perBatch = new List<string>();
        foreach (var request in _requests)
        {
            var input = request.Clip is { } clip ? Add("Clip", [request.Tensor, Scalar("min", clip.Min), Scalar("max", clip.Max)]) : request.Tensor;
            switch (request.How)
            {
                case Reduction.Channels:
                    // GlobalAveragePool reads ORT's blocked conv layout as it is; the batch is averaged in Observe, as a
                    // ReduceMean per layer cost more run time than all the pooling (measured on the benchmark's MobileNetV2).
                    var means = Add("Reshape", [Add("GlobalAveragePool", [input]), flat]);
                    perBatch.Add(means);
                    fixedLength.Add(ShapeOf(means));
                    if (request.NeedsSpatialSize)
                    {
                        fixedLength.Add(ShapeOf(request.Tensor));
                    }

                    break;
                case Reduction.Rows:
                    var rowsShape = names.Take($"{input}_rows_shape");
                    graph.Initializer.Add(TensorValues.Create(rowsShape, DataType.Int64, [2], [-1L, request.Length]));
                    fixedLength.Add(ReduceMean(Add("Reshape", [input, rowsShape]), 0));
                    break;
                case Reduction.Columns:
                    fixedLength.Add(ReduceMean(input, 1));
                    break;
            }
        }

        return [.. fixedLength, .. perBatch];

        string Add(string op, string[] inputs, params AttributeProto[] attributes)
        {
            var output = names.Take($"{inputs[0]}_{op}");
            graph.Node.Add(Nodes.Create(op, names.Take($"{output}_node"), inputs, [output], attributes));
            return output;
        }

        string Scalar(string name, float value)
        {
            var tensor = names.Take($"input_means_clip_{name}");
            graph.Initializer.Add(TensorValues.FromFloats(tensor, [], [value]));
            return tensor;
        }

        string ShapeOf(string input) => Add("Cast", [Add("Shape", [input])], Attributes.Int("to", (long)DataType.Float));

        string ReduceMean(string input, long axis)
        {
            // ReduceMean takes its axes as an attribute before opset 18 and as an input from 18 on.
            if (_opset >= 18)
            {
                var axes = names.Take($"{input}_mean_axes");
                graph.Initializer.Add(TensorValues.Create(axes, DataType.Int64, [1], [axis]));
                return Add("ReduceMean", [input, axes], Attributes.Int("keepdims", 0));
            }

            return Add("ReduceMean", [input], Attributes.Ints("axes", axis), Attributes.Int("keepdims", 0));
        }
    }

    /// <inheritdoc/>
    public void Observe(ReadOnlySpan<float> values)
    {
        var batches = new int[_requests.Count];
        var spatial = new long[_requests.Count][];
        var at = 0;
        for (var r = 0; r < _requests.Count; r++)
        {
            var request = _requests[r];
            if (request.How == Reduction.Channels)
            {
                batches[r] = (int)values[at++] / request.Sums.Length;
                if (request.NeedsSpatialSize)
                {
                    spatial[r] = values.Slice(at + 2, request.Rank - 2).ToArray().Select(d => (long)d).ToArray();
                    at += request.Rank;
                }
            }
            else
            {
                request.Add(values.Slice(at, request.Sums.Length));
                at += request.Sums.Length;
            }
        }

        for (var r = 0; r < _requests.Count; r++)
        {
            // [batch x C]: every batch entry is one more sample of the channel means.
            var request = _requests[r];
            for (var entry = 0; entry < batches[r]; entry++)
            {
                request.Add(values.Slice(at, request.Sums.Length));
                at += request.Sums.Length;
            }
        }

        foreach (var layer in _layers.Values.Where(l => l.Kernel is not null))
        {
            layer.AddCoverage(spatial[layer.Request] ?? _requests[layer.Request].StaticSpatial);
        }
    }

    /// <summary>
    /// One tensor averaged one way: <paramref name="Length"/> channels or features, of a tensor of rank
    /// <paramref name="Rank"/> (conv inputs), clipped to <paramref name="Clip"/> first when given.
    /// </summary>
    private sealed record Request(string Tensor, Reduction How, long Length, int Rank, TensorRange? Clip = null)
    {
        public double[] Sums { get; } = new double[Length];

        public int Samples { get; private set; }

        /// <summary>Whether a convolution reading the tensor has a coverage that depends on a spatial size not known statically.</summary>
        public bool NeedsSpatialSize { get; set; }

        /// <summary>The tensor's spatial size as the graph gives it for every sample, or null.</summary>
        public long[]? StaticSpatial { get; set; }

        /// <summary>Adds one sample's (or batch entry's) means.</summary>
        public void Add(ReadOnlySpan<float> means)
        {
            for (var c = 0; c < Sums.Length; c++)
            {
                Sums[c] += means[c];
            }

            Samples++;
        }
    }

    /// <summary>
    /// A measured layer: which requests hold its input's means and clipped means (the same one without clipping), and for
    /// a convolution its kernel and coverage sums.
    /// </summary>
    private sealed class Layer(NodeProto node, int request, int clipped, long[]? kernel)
    {
        private long[]? _lastSpatial;
        private double[]? _lastCoverage;

        public int Request => request;

        public int Clipped => clipped;

        public long[]? Kernel => kernel;

        public double[]? CoverageSums { get; private set; }

        public int CoverageSamples { get; private set; }

        /// <summary>
        /// Adds the coverage for one sample's spatial size (null where not measured: the layer is pointwise, whatever the
        /// size); samples usually share one, so the last is reused.
        /// </summary>
        public void AddCoverage(long[]? spatial)
        {
            spatial ??= [];
            if (_lastSpatial is null || !_lastSpatial.SequenceEqual(spatial))
            {
                (_lastSpatial, _lastCoverage) = (spatial, ConvolutionTaps.Coverage(node, kernel!, spatial));
            }

            if (_lastCoverage is null)
            {
                return;
            }

            CoverageSums ??= new double[_lastCoverage.Length];
            for (var t = 0; t < _lastCoverage.Length; t++)
            {
                CoverageSums[t] += _lastCoverage[t];
            }

            CoverageSamples++;
        }
    }
}
