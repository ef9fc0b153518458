using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// An ONNX Runtime session over a copy of the float model that also outputs the smallest and largest value of each
/// requested tensor (ReduceMin/ReduceMax inside ORT), all gathered by one Concat into a single output, so calibration
/// copies one small tensor per sample out of ORT instead of two scalars per tensor. A tensor that cannot be negative
/// (<see cref="NonNegativeTensors"/>) gets only its maximum and reports 0 as its minimum: its range is widened to include 0
/// anyway, so the quantization parameters are the same; a Conv-shaped one (<see cref="SpatialTensors"/>) is first reduced
/// per channel by GlobalMaxPool, which ORT runs on its blocked layout (measured on the benchmark's conv nets: calibration
/// runs 4-24% faster than with ReduceMin and ReduceMax on every tensor, which made ORT convert each measured Conv output
/// to NCHW first). A tensor found to hold an infinity (an attention mask) or NaN is rebuilt with those values
/// replaced by 0 first (IsInf/Where, which the quantized range covers anyway) and the sample runs again: guarding only
/// such tensors keeps two extra passes over every activation out of the common all-finite run (measured: the guard
/// made calibration runs 1.4-1.9x slower on the conv nets of the benchmark). Optional <see cref="ISampleStatistics"/>
/// vectors follow the extremes in the same output.
/// </summary>
internal sealed class ExtremeValuesSession : IDisposable
{
    private readonly ModelProto _model;
    private readonly IReadOnlyList<string> _tensors;
    private readonly PhaseTimer _timer;
    private readonly HashSet<string> _guarded = new(StringComparer.Ordinal);
    private readonly IReadOnlySet<string> _nonNegative;
    private readonly IReadOnlySet<string> _spatial;
    private readonly ISampleStatistics? _statistics;
    private ModelSession _session;
    private string _output;
    private Slots[] _slots;

    /// <summary>
    /// Creates the session for <paramref name="tensors"/> (node outputs of <paramref name="model"/>, not graph inputs) and
    /// the vectors of <paramref name="statistics"/>.
    /// </summary>
    public ExtremeValuesSession(ModelProto model, IReadOnlyList<string> tensors, PhaseTimer timer, ISampleStatistics? statistics = null)
    {
        _model = model;
        _tensors = tensors;
        _timer = timer;
        _statistics = statistics;
        _nonNegative = NonNegativeTensors.Of(model);
        _spatial = SpatialTensors.Of(model);
        (_session, _output, _slots) = Build();
    }

    /// <summary>The extremes of every tensor for one sample, in the order of the tensors; non-finite values excluded.</summary>
    public IReadOnlyList<TensorRange> Run(CalibrationSample sample)
    {
        while (true)
        {
            var values = _session.Run(sample, [_output])[0].Values;
            var extremes = _slots.Select(s => new TensorRange(s.Min < 0 ? 0f : values[s.Min], values[s.Max])).ToList();
            var unguarded = _tensors.Where((t, i) => !(float.IsFinite(extremes[i].Min) && float.IsFinite(extremes[i].Max)) && !_guarded.Contains(t)).ToList();
            if (unguarded.Count == 0)
            {
                // A guarded tensor that still reports NaN holds nothing finite in this sample; the estimator skips it.
                // Each extreme is one value and the statistics' vectors follow them.
                _statistics?.Observe(values.AsSpan(_slots.Sum(s => s.Min < 0 ? 1 : 2)));
                return extremes;
            }

            // Each pass guards at least one more tensor, so this ends; masks usually show up in the first sample.
            _guarded.UnionWith(unguarded);
            _session.Dispose();
            (_session, _output, _slots) = Build();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();

    private (ModelSession Session, string Output, Slots[] Slots) Build()
    {
        var (model, output, slots) = WithExtremes();
        return (_timer.Time("calibration session", () => ModelSession.CreateForAnalysis(model, "float model for calibration")), output, slots);
    }

    /// <summary>
    /// The model with one more output: every tensor's min (unless non-negative) and max, flattened and concatenated,
    /// guarded tensors reading their finite copy, then the statistics' vectors; the slots say where each tensor's
    /// values are in it.
    /// </summary>
    private (ModelProto Model, string Output, Slots[] Slots) WithExtremes()
    {
        var copy = SharedWeightCopy.Of(_model);
        var graph = copy.Graph;
        var names = new UniqueNames(copy);
        var zero = _guarded.Count == 0 ? null : names.Take("calibration_zero");
        if (zero is not null)
        {
            graph.Initializer.Add(TensorValues.FromFloats(zero, [], [0f]));
        }

        // Flattened first so that every reduction (keepdims) is [1], whatever the tensor's rank, and Concat accepts them all.
        var flat = names.Take("calibration_flat_shape");
        graph.Initializer.Add(TensorValues.Create(flat, DataType.Int64, [1], [-1L]));
        var reduced = new List<string>();
        var slots = new Slots[_tensors.Count];
        for (var i = 0; i < _tensors.Count; i++)
        {
            var tensor = _tensors[i];
            var source = tensor;
            if (zero is not null && _guarded.Contains(tensor))
            {
                var isInfinite = names.Take($"{tensor}_is_infinite");
                source = names.Take($"{tensor}_finite");
                graph.Node.Add(Nodes.Create("IsInf", names.Take($"{tensor}_IsInf"), [tensor], [isInfinite]));
                graph.Node.Add(Nodes.Create("Where", names.Take($"{tensor}_Where"), [isInfinite, zero, tensor], [source]));
            }

            if (_nonNegative.Contains(tensor))
            {
                // ORT keeps a Conv output in its blocked NCHWc layout; GlobalMaxPool reads that layout, where a reduction
                // would first convert the whole tensor back to NCHW. Only a channel vector is left to convert and reduce.
                var pooled = _spatial.Contains(tensor) ? Node("GlobalMaxPool", source) : source;
                slots[i] = new Slots(-1, Reduce("ReduceMax", Node("Reshape", pooled, flat)));
            }
            else
            {
                var flattened = Node("Reshape", source, flat);
                slots[i] = new Slots(Reduce("ReduceMin", flattened), Reduce("ReduceMax", flattened));
            }

            string Node(string op, params string[] inputs)
            {
                var output = names.Take($"{tensor}_{op}");
                graph.Node.Add(Nodes.Create(op, names.Take($"{tensor}_{op}_node"), inputs, [output]));
                return output;
            }

            int Reduce(string op, string input)
            {
                var output = names.Take($"{tensor}_{op}");
                graph.Node.Add(Nodes.Create(op, names.Take($"{tensor}_{op}_node"), [input], [output], Attributes.Int("keepdims", 1)));
                reduced.Add(output);
                return reduced.Count - 1;
            }
        }

        reduced.AddRange(_statistics?.AddTo(copy, names) ?? []);
        var extremes = names.Take("calibration_extremes");
        graph.Node.Add(Nodes.Create("Concat", names.Take("calibration_extremes_Concat"), reduced, [extremes], Attributes.Int("axis", 0)));
        graph.Output.Add(new ValueInfoProto
        {
            Name = extremes,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
        });
        return (copy, extremes, slots);
    }

    /// <summary>Where a tensor's min and max are in the concatenated output; a min of -1 means none (non-negative tensor, min 0).</summary>
    private readonly record struct Slots(int Min, int Max);
}
