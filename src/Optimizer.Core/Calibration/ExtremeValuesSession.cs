using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// An ONNX Runtime session over a copy of the float model that also outputs the smallest and largest value of each
/// requested tensor as scalars (ReduceMin/ReduceMax inside ORT), so calibration copies two numbers per tensor out of
/// ORT instead of the tensor. A tensor found to hold an infinity (an attention mask) or NaN is rebuilt with those
/// values replaced by 0 first (IsInf/Where, which the quantized range covers anyway) and the sample runs again: guarding
/// only such tensors keeps two extra passes over every activation out of the common all-finite run (measured: the
/// guard made calibration runs 1.4-1.9x slower on the conv nets of the benchmark).
/// </summary>
internal sealed class ExtremeValuesSession : IDisposable
{
    private readonly ModelProto _model;
    private readonly IReadOnlyList<string> _tensors;
    private readonly PhaseTimer _timer;
    private readonly HashSet<string> _guarded = new(StringComparer.Ordinal);
    private ModelSession _session;
    private List<string> _outputs;

    /// <summary>Creates the session for <paramref name="tensors"/> (node outputs of <paramref name="model"/>, not graph inputs).</summary>
    public ExtremeValuesSession(ModelProto model, IReadOnlyList<string> tensors, PhaseTimer timer)
    {
        _model = model;
        _tensors = tensors;
        _timer = timer;
        (_session, _outputs) = Build();
    }

    /// <summary>The extremes of every tensor for one sample, in the order of the tensors; non-finite values excluded.</summary>
    public IReadOnlyList<TensorRange> Run(CalibrationSample sample)
    {
        while (true)
        {
            var results = _session.Run(sample, _outputs);
            var extremes = _tensors.Select((_, i) => new TensorRange(results[2 * i].Values[0], results[(2 * i) + 1].Values[0])).ToList();
            var unguarded = _tensors.Where((t, i) => !(float.IsFinite(extremes[i].Min) && float.IsFinite(extremes[i].Max)) && !_guarded.Contains(t)).ToList();
            if (unguarded.Count == 0)
            {
                // A guarded tensor that still reports NaN holds nothing finite in this sample; the estimator skips it.
                return extremes;
            }

            // Each pass guards at least one more tensor, so this ends; masks usually show up in the first sample.
            _guarded.UnionWith(unguarded);
            _session.Dispose();
            (_session, _outputs) = Build();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();

    private (ModelSession Session, List<string> Outputs) Build()
    {
        var (model, outputs) = WithExtremes();
        return (_timer.Time("calibration session", () => ModelSession.CreateForAnalysis(model, "float model for calibration")), outputs);
    }

    /// <summary>The model with min then max outputs for every tensor, guarded ones reading their finite copy.</summary>
    private (ModelProto Model, List<string> Outputs) WithExtremes()
    {
        var copy = SharedWeightCopy.Of(_model);
        var graph = copy.Graph;
        var names = new UniqueNames(copy);
        var zero = _guarded.Count == 0 ? null : names.Take("calibration_zero");
        if (zero is not null)
        {
            graph.Initializer.Add(TensorValues.FromFloats(zero, [], [0f]));
        }

        var outputs = new List<string>();
        foreach (var tensor in _tensors)
        {
            var source = tensor;
            if (zero is not null && _guarded.Contains(tensor))
            {
                var isInfinite = names.Take($"{tensor}_is_infinite");
                source = names.Take($"{tensor}_finite");
                graph.Node.Add(Nodes.Create("IsInf", names.Take($"{tensor}_IsInf"), [tensor], [isInfinite]));
                graph.Node.Add(Nodes.Create("Where", names.Take($"{tensor}_Where"), [isInfinite, zero, tensor], [source]));
            }

            foreach (var op in new[] { "ReduceMin", "ReduceMax" })
            {
                var output = names.Take($"{tensor}_{op}");
                graph.Node.Add(Nodes.Create(op, names.Take($"{tensor}_{op}_node"), [source], [output], Attributes.Int("keepdims", 0)));
                graph.Output.Add(new ValueInfoProto
                {
                    Name = output,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
                });
                outputs.Add(output);
            }
        }

        return (copy, outputs);
    }
}
