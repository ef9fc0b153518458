using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// The largest magnitude every float32 activation reaches in the float32 model on calibration data. A copy of the
/// model gets a max(|x|) probe per tensor exposed as an output (a scalar, so samples stream without holding
/// activations); tensors inside If branches are routed out through extra If outputs, tensors inside Loop and Scan
/// bodies through extra scan outputs (one max per iteration, reduced again outside). Control-flow outputs are
/// probed too, so the readers of a large If/Loop/Scan result are known.
/// </summary>
internal sealed class ActivationRanges
{
    private readonly TensorElementTypes _types;
    private readonly Dictionary<GraphProto, GraphProto> _original = new(ReferenceEqualityComparer.Instance);
    private readonly UniqueNames _names;
    private readonly ModelProto _probeModel;
    private string _shapeName = "";
    private string _zeroName = "";

    private ActivationRanges(ModelProto model, TensorElementTypes types)
    {
        _types = types;
        _probeModel = model.Clone();
        // The clone's graphs mirror the original's in walk order; results are keyed by the original graphs.
        foreach (var (copy, original) in ModelWalker.AllGraphs(_probeModel).ToList().Zip(ModelWalker.AllGraphs(model).ToList()))
        {
            _original[copy] = original;
        }

        _names = new UniqueNames(_probeModel);
    }

    /// <summary>Measures max |x| of every float32 node output (and main graph input) over <paramref name="calibration"/>, in every graph.</summary>
    public static Dictionary<TensorKey, float> Measure(ModelProto model, TensorElementTypes types, CalibrationSet calibration) =>
        new ActivationRanges(model, types).Run(model, calibration);

    private Dictionary<TensorKey, float> Run(ModelProto model, CalibrationSet calibration)
    {
        var result = new Dictionary<TensorKey, float>();
        var main = _probeModel.Graph;
        _shapeName = _names.Take("fp16_probe.flat_shape");
        _zeroName = _names.Take("fp16_probe.zero");
        main.Initializer.Add(TensorValues.Create<long>(_shapeName, DataType.Int64, [1], [-1L]));
        main.Initializer.Add(TensorValues.FromFloats(_zeroName, [1], [0f]));

        var probes = Instrument(main);
        foreach (var (probe, _) in probes)
        {
            main.Output.Add(Nodes.TensorInfo(probe, DataType.Float));
        }

        foreach (var sample in calibration.Samples)
        {
            foreach (var input in sample.Inputs.Where(i => i.Data is float[]))
            {
                var values = (float[])input.Data;
                var max = values.Length == 0 ? 0f : MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(values));
                Raise(result, new TensorKey(model.Graph, input.Name), max);
            }
        }

        if (probes.Count == 0 || calibration.Samples.Count == 0)
        {
            return result;
        }

        using var session = ModelSession.CreateForAnalysis(_probeModel, "float16 range-probe model");
        var names = probes.Select(p => p.Probe).ToList();
        foreach (var sample in calibration.Samples)
        {
            var outputs = session.Run(sample, names);
            for (var i = 0; i < probes.Count; i++)
            {
                Raise(result, probes[i].Key, outputs[i].Values.Length > 0 ? outputs[i].Values[0] : 0f);
            }
        }

        return result;
    }

    private static void Raise(Dictionary<TensorKey, float> ranges, TensorKey key, float value)
    {
        // NaN or infinity in the float32 model means float16 cannot hold it either.
        var magnitude = float.IsNaN(value) ? float.PositiveInfinity : value;
        ranges[key] = Math.Max(ranges.GetValueOrDefault(key), magnitude);
    }

    private List<(string Probe, TensorKey Key)> Instrument(GraphProto graph)
    {
        var original = _original[graph];
        var probes = new List<(string, TensorKey)>();
        foreach (var node in graph.Node.ToList())
        {
            if (node.OpType == "Constant")
            {
                continue;
            }

            // Read the outputs before routing adds probe outputs to control-flow nodes.
            var outputs = node.Output.Where(o => o.Length > 0).ToList();
            if (Opsets.IsDefaultDomain(node.Domain) && node.OpType == "If")
            {
                probes.AddRange(InstrumentIf(node));
            }
            else if (Opsets.IsDefaultDomain(node.Domain) && node.OpType is "Loop" or "Scan")
            {
                probes.AddRange(InstrumentBody(graph, node));
            }

            foreach (var output in outputs)
            {
                var key = new TensorKey(original, output);
                if (_types.Get(key) == DataType.Float)
                {
                    probes.Add((AddProbe(graph, output), key));
                }
            }
        }

        return probes;
    }

    private List<(string Probe, TensorKey Key)> InstrumentIf(NodeProto node)
    {
        var thenBranch = Attributes.Find(node, "then_branch")!.G;
        var elseBranch = Attributes.Find(node, "else_branch")!.G;
        var thenProbes = Instrument(thenBranch);
        var elseProbes = Instrument(elseBranch);

        // Both branches must produce the same outputs: each reports its own probes and zeros for the other's.
        foreach (var (probe, _) in thenProbes)
        {
            thenBranch.Output.Add(Nodes.TensorInfo(probe, DataType.Float));
            elseBranch.Output.Add(Nodes.TensorInfo(AddZero(elseBranch), DataType.Float));
        }

        foreach (var (probe, _) in elseProbes)
        {
            thenBranch.Output.Add(Nodes.TensorInfo(AddZero(thenBranch), DataType.Float));
            elseBranch.Output.Add(Nodes.TensorInfo(probe, DataType.Float));
        }

        var routed = new List<(string, TensorKey)>();
        foreach (var (_, key) in thenProbes.Concat(elseProbes))
        {
            var output = _names.Take($"fp16_probe.{key.Name}.if");
            node.Output.Add(output);
            routed.Add((output, key));
        }

        return routed;
    }

    /// <summary>
    /// Routes the probes of a Loop or Scan body out as extra scan outputs: each iteration's max |x| is stacked into a
    /// 1-D tensor, which a probe in <paramref name="graph"/> reduces to the max over all iterations.
    /// </summary>
    private List<(string Probe, TensorKey Key)> InstrumentBody(GraphProto graph, NodeProto node)
    {
        var body = Attributes.Find(node, "body")!.G;
        var routed = new List<(string, TensorKey)>();
        foreach (var (probe, key) in Instrument(body))
        {
            body.Output.Add(Nodes.TensorInfo(probe, DataType.Float));
            var stacked = _names.Take($"fp16_probe.{key.Name}.steps");
            node.Output.Add(stacked);
            foreach (var listed in node.Attribute.Where(a => a.Name is "scan_output_axes" or "scan_output_directions"))
            {
                listed.Ints.Add(0);
            }

            routed.Add((AddProbe(graph, stacked), key));
        }

        return routed;
    }

    private string AddProbe(GraphProto graph, string tensor)
    {
        // Flattening and appending a 0 makes the reduction defined for empty tensors too.
        var abs = _names.Take($"fp16_probe.{tensor}.abs");
        var flat = _names.Take($"fp16_probe.{tensor}.flat");
        var padded = _names.Take($"fp16_probe.{tensor}.padded");
        var max = _names.Take($"fp16_probe.{tensor}.max");
        graph.Node.Add(Nodes.Create("Abs", abs, [tensor], [abs]));
        graph.Node.Add(Nodes.Create("Reshape", flat, [abs, _shapeName], [flat]));
        graph.Node.Add(Nodes.Create("Concat", padded, [flat, _zeroName], [padded], Attributes.Int("axis", 0)));
        graph.Node.Add(Nodes.Create("ReduceMax", max, [padded], [max], Attributes.Int("keepdims", 0)));
        return max;
    }

    private string AddZero(GraphProto graph)
    {
        var name = _names.Take("fp16_probe.zero_scalar");
        graph.Node.Add(Nodes.Create("Constant", name, [], [name], Attributes.Tensor("value", TensorValues.FromFloats(name, [], [0f]))));
        return name;
    }
}
