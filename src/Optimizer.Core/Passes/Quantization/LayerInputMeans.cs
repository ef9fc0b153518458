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
/// when calibration clipped values (entropy, percentile, mse). When samples may differ in size, every input's shape is
/// measured and each sample counts by its positions (or rows), as the layer's output error is averaged over them.
/// </summary>
internal sealed class LayerInputMeans : ISampleStatistics
{
    private readonly long _opset;
    private readonly bool _sizesVary;
    private readonly List<Input> _inputs = [];
    private readonly List<Request> _requests = [];
    private readonly Dictionary<string, Layer> _layers = new(StringComparer.Ordinal);

    /// <summary>
    /// Prepares the vectors for the nodes of <paramref name="floatModel"/> named in <paramref name="nodes"/>.
    /// <paramref name="spatialSizes"/> are the sizes the graph gives when every sample has the same shapes (a convolution
    /// whose input is listed needs no Shape measured); null when samples may differ. An input listed in
    /// <paramref name="quantizedRanges"/> also has its clipped means measured.
    /// </summary>
    public LayerInputMeans(ModelProto floatModel, IEnumerable<string> nodes, IReadOnlyDictionary<string, long[]>? spatialSizes = null,
        IReadOnlyDictionary<string, TensorRange>? quantizedRanges = null)
    {
        _opset = Opsets.DefaultDomainVersion(floatModel);
        _sizesVary = spatialSizes is null;
        var wanted = nodes.ToHashSet(StringComparer.Ordinal);
        var initializers = floatModel.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var node in floatModel.Graph.Node.Where(n => wanted.Contains(n.Name) && n.Input.Count >= 2))
        {
            if (!initializers.TryGetValue(node.Input[1], out var weight) || (DataType)weight.DataType != DataType.Float)
            {
                continue;
            }

            var dims = weight.Dims;
            var (how, length) = node.OpType switch
            {
                "Conv" when dims.Count >= 3 => (Reduction.Channels, dims[1] * Attributes.GetInt(node, "group", 1)),
                "ConvTranspose" when dims.Count >= 3 => (Reduction.Channels, dims[0]),
                "Gemm" when dims.Count == 2 => (Attributes.GetInt(node, "transA", 0) != 0 ? Reduction.Columns : Reduction.Rows,
                    Attributes.GetInt(node, "transB", 0) != 0 ? dims[1] : dims[0]),
                "MatMul" when dims.Count == 2 => (Reduction.Rows, dims[0]),
                _ => ((Reduction?)null, 0L),
            };
            if (how is not { } reduction)
            {
                continue;
            }

            var input = InputFor(node.Input[0], reduction == Reduction.Channels ? dims.Count : 2, reduction == Reduction.Rows ? length : 0);
            var kernel = reduction == Reduction.Channels ? dims.Skip(2).ToArray() : null;
            if (kernel is not null && !ConvolutionTaps.IsPointwise(node, kernel))
            {
                // A Shape of a blocked-layout tensor costs a layout conversion per run (measured: 15% of MobileNetV2's
                // calibration runs at 224 px), so the size is measured only where the graph does not give it.
                _inputs[input].StaticSpatial ??= spatialSizes?.GetValueOrDefault(node.Input[0]);
                _inputs[input].MeasuresShape |= _inputs[input].StaticSpatial is null;
            }

            var plain = RequestFor(input, reduction, length, clip: null);
            var clipped = quantizedRanges?.GetValueOrDefault(node.Input[0]) is { } range ? RequestFor(input, reduction, length, range) : plain;
            _layers[node.Name] = new Layer(node, input, plain, clipped, kernel);
        }
    }

    /// <summary>How a tensor is averaged down to one value per channel or feature.</summary>
    private enum Reduction
    {
        /// <summary>[batch, channels, spatial...]: over everything but axis 1.</summary>
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
        if (!_layers.TryGetValue(node, out var layer) || _requests[layer.Plain].Averages() is not { } plain
            || _requests[layer.Clipped].Averages() is not { } clipped || (layer.Kernel is not null && layer.CoverageWeight == 0))
        {
            return false;
        }

        (means, clippedMeans) = (plain, clipped);
        coverage = layer.CoverageSums?.Select(s => s / layer.CoverageWeight).ToArray();
        return true;
    }

    /// <inheritdoc/>
    public bool IsEmpty => _requests.Count == 0;

    /// <summary>
    /// Runs the samples through <paramref name="model"/> (the float model these means were prepared for) only for these
    /// means: for calibrations whose clipping is known only once their ranges are chosen. Nothing runs when no layer
    /// was measurable.
    /// </summary>
    public void Measure(ModelProto model, CalibrationSet calibration, PhaseTimer timer)
    {
        if (!IsEmpty)
        {
            // No tensors to measure: the extremes session then carries only these statistics.
            ActivationCollector.Collect(model, [], calibration, new MinMaxEstimator(), progress: null, timer, this);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> AddTo(ModelProto model, UniqueNames names)
    {
        var graph = model.Graph;
        var flat = names.Take("input_means_flat_shape");
        graph.Initializer.Add(TensorValues.Create(flat, DataType.Int64, [1], [-1L]));
        // Fixed lengths first (measured input shapes, then each request's batch size or feature means), then the conv
        // inputs' channel means, batch x channels long: Observe reads each batch size from the values before them.
        var fixedLength = new List<string>();
        foreach (var input in _inputs.Where(i => i.MeasuresShape || _sizesVary))
        {
            // A dense input's rank is unknown here; as [rows, features] its shape is two values.
            fixedLength.Add(ShapeOf(input.Features > 0 ? Add("Reshape", [input.Tensor, RowsShape(input.Tensor, input.Features)]) : input.Tensor));
        }

        var perBatch = new List<string>();
        foreach (var request in _requests)
        {
            var tensor = _inputs[request.Input].Tensor;
            var source = request.Clip is { } clip ? Add("Clip", [tensor, Scalar("min", clip.Min), Scalar("max", clip.Max)]) : tensor;
            switch (request.How)
            {
                case Reduction.Channels:
                    // GlobalAveragePool reads ORT's blocked conv layout as it is; the batch is averaged in Observe, as a
                    // ReduceMean per layer cost more run time than all the pooling (measured on the benchmark's MobileNetV2).
                    var means = Add("Reshape", [Add("GlobalAveragePool", [source]), flat]);
                    perBatch.Add(means);
                    fixedLength.Add(ShapeOf(means));
                    break;
                case Reduction.Rows:
                    fixedLength.Add(ReduceMean(Add("Reshape", [source, RowsShape(tensor, request.Length)]), 0));
                    break;
                case Reduction.Columns:
                    fixedLength.Add(ReduceMean(source, 1));
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

        string RowsShape(string tensor, long features)
        {
            var shape = names.Take($"{tensor}_rows_shape");
            graph.Initializer.Add(TensorValues.Create(shape, DataType.Int64, [2], [-1L, features]));
            return shape;
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
        var at = 0;
        var shapes = new long[]?[_inputs.Count];
        for (var i = 0; i < _inputs.Count; i++)
        {
            if (_inputs[i].MeasuresShape || _sizesVary)
            {
                shapes[i] = values.Slice(at, _inputs[i].Rank).ToArray().Select(d => (long)d).ToArray();
                at += _inputs[i].Rank;
            }
        }

        var batches = new int[_requests.Count];
        for (var r = 0; r < _requests.Count; r++)
        {
            var request = _requests[r];
            if (request.How == Reduction.Channels)
            {
                batches[r] = (int)values[at++] / request.Sums.Length;
            }
            else
            {
                request.Add(values.Slice(at, request.Sums.Length), Weight(request, shapes[request.Input]));
                at += request.Sums.Length;
            }
        }

        for (var r = 0; r < _requests.Count; r++)
        {
            // [batch x C]: every batch entry is one more sample of the channel means.
            var request = _requests[r];
            for (var entry = 0; entry < batches[r]; entry++)
            {
                request.Add(values.Slice(at, request.Sums.Length), Weight(request, shapes[request.Input]));
                at += request.Sums.Length;
            }
        }

        foreach (var layer in _layers.Values.Where(l => l.Kernel is not null))
        {
            var shape = shapes[layer.Input];
            layer.AddCoverage(shape?[2..] ?? _inputs[layer.Input].StaticSpatial, shape is null ? 1 : Weight(_requests[layer.Plain], shape) * shape[0]);
        }
    }

    /// <summary>
    /// What one sample (one batch entry of a conv input) counts for in the means: its positions or rows when sizes may
    /// vary, so that each mean is over every position as the layer's output error is; 1 when all samples are alike.
    /// </summary>
    private double Weight(Request request, long[]? shape) => !_sizesVary || shape is null ? 1 : request.How switch
    {
        Reduction.Channels => shape.Skip(2).Aggregate(1.0, (a, d) => a * d),
        Reduction.Rows => shape.SkipLast(1).Aggregate(1.0, (a, d) => a * d),
        _ => shape.Length > 1 ? shape[1] : 1,
    };

    private int InputFor(string tensor, int rank, long features)
    {
        var index = _inputs.FindIndex(i => i.Tensor == tensor);
        if (index < 0)
        {
            _inputs.Add(new Input(tensor, rank, features));
            index = _inputs.Count - 1;
        }

        return index;
    }

    private int RequestFor(int input, Reduction how, long length, TensorRange? clip)
    {
        var index = _requests.FindIndex(r => r.Input == input && r.How == how && r.Length == length && r.Clip == clip);
        if (index < 0)
        {
            _requests.Add(new Request(input, how, length, clip));
            index = _requests.Count - 1;
        }

        return index;
    }

    /// <summary>
    /// A tensor some layers read: the rank of the shape measured for it (a conv input's own; 2 for a dense input, seen as
    /// [rows, <paramref name="features"/>] when it is a MatMul or Gemm's row input), whether that shape is measured, and
    /// its spatial size when static.
    /// </summary>
    private sealed class Input(string tensor, int rank, long features)
    {
        public string Tensor => tensor;

        public int Rank => rank;

        public long Features => features;

        public bool MeasuresShape { get; set; }

        public long[]? StaticSpatial { get; set; }
    }

    /// <summary>
    /// One input averaged one way: <paramref name="length"/> channels or features, clipped to <paramref name="clip"/>
    /// first when given.
    /// </summary>
    private sealed class Request(int input, Reduction how, long length, TensorRange? clip)
    {
        public int Input => input;

        public Reduction How => how;

        public long Length => length;

        public TensorRange? Clip => clip;

        public double[] Sums { get; } = new double[length];

        private double _weight;

        /// <summary>Adds one sample's (or batch entry's) means, counted <paramref name="weight"/> times.</summary>
        public void Add(ReadOnlySpan<float> means, double weight)
        {
            for (var c = 0; c < Sums.Length; c++)
            {
                Sums[c] += means[c] * weight;
            }

            _weight += weight;
        }

        /// <summary>The weighted means, or null before any sample or when one is not finite.</summary>
        public double[]? Averages() => _weight > 0 && Sums.All(double.IsFinite) ? Sums.Select(s => s / _weight).ToArray() : null;
    }

    /// <summary>
    /// A measured layer: its input, the requests holding the input's means and clipped means (the same one without
    /// clipping), and for a convolution its kernel and weighted coverage sums.
    /// </summary>
    private sealed class Layer(NodeProto node, int input, int plain, int clipped, long[]? kernel)
    {
        private long[]? _lastSpatial;
        private double[]? _lastCoverage;

        public int Input => input;

        public int Plain => plain;

        public int Clipped => clipped;

        public long[]? Kernel => kernel;

        public double[]? CoverageSums { get; private set; }

        public double CoverageWeight { get; private set; }

        /// <summary>
        /// Adds the coverage for one sample's spatial size (null where not measured: the layer is pointwise, whatever the
        /// size), counted <paramref name="weight"/> times; samples usually share one size, so the last is reused.
        /// </summary>
        public void AddCoverage(long[]? spatial, double weight)
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
                CoverageSums[t] += _lastCoverage[t] * weight;
            }

            CoverageWeight += weight;
        }
    }
}
