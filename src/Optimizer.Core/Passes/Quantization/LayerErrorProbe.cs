using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// How far one quantized node's output strays from the float node's when both see the same float input: the share of
/// each output channel's energy that is error, averaged over channels (so an outlier channel cannot hide the others),
/// and the mean error of each output channel (what bias correction removes).
/// </summary>
internal sealed record LayerError(string Node, string OpType, double RelativeError, float[]? MeanChannelError);

/// <summary>
/// Measures every quantized node's own error in one ORT session: the float model plus, for each quantized node, its
/// quantized copy (input QuantizeLinear→DequantizeLinear, int8 weight and bias) reading the float model's tensors.
/// One run per sample yields the float and the quantized output of every layer at once, and because each copy reads
/// float inputs, a layer's error is its own, not the sum of the errors upstream of it.
/// </summary>
internal static class LayerErrorProbe
{
    /// <summary>
    /// Enough samples for stable per-channel means (each sample already averages over every spatial position and
    /// row); more would only add tool time.
    /// </summary>
    public const int MaxSamples = 8;

    /// <summary>The error of every node <paramref name="build"/> quantized, against <paramref name="floatModel"/>, on the calibration samples.</summary>
    public static IReadOnlyList<LayerError> Measure(ModelProto floatModel, QdqBuild build, CalibrationSet calibration)
    {
        var prefix = FreePrefix(floatModel);
        var probe = WithQuantizedCopies(floatModel, build, prefix);
        var nodes = build.Plan.Nodes;
        var requested = nodes.SelectMany(n => new[] { n.Output[0], prefix + n.Output[0] }).ToList();
        var accumulators = nodes.Select(n => new ErrorAccumulator(rank => ChannelAxis(n, rank))).ToList();
        using var session = ModelSession.Create(probe, "float model with quantized copies of its layers (bias correction)");
        foreach (var sample in calibration.Samples.Take(MaxSamples))
        {
            var results = session.Run(sample, requested);
            for (var i = 0; i < accumulators.Count; i++)
            {
                accumulators[i].Add(results[2 * i], results[(2 * i) + 1]);
            }
        }

        return nodes.Select((n, i) => accumulators[i].Result(n)).ToList();
    }

    /// <summary>
    /// The axis a node's output channels run along: 1 for convolutions and pooling and for other image-shaped (4-D and
    /// up) tensors, the last axis for [batch, (tokens,) features] tensors.
    /// </summary>
    private static int ChannelAxis(NodeProto node, int rank) => node.OpType switch
    {
        "Conv" or "ConvTranspose" or "AveragePool" or "GlobalAveragePool" => Math.Min(1, rank - 1),
        "Gemm" or "MatMul" => rank - 1,
        _ => rank >= 4 ? 1 : rank - 1,
    };

    /// <summary>
    /// The float model with a prefixed copy of every node of the quantized model that a quantized node depends on: the
    /// node itself, the DequantizeLinear nodes of its weights and constants, and its inputs' QuantizeLinear nodes,
    /// which read the float model's tensor instead of the quantized model's.
    /// </summary>
    private static ModelProto WithQuantizedCopies(ModelProto floatModel, QdqBuild build, string prefix)
    {
        var quantized = build.Model.Graph;
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in quantized.Node)
        {
            foreach (var output in node.Output)
            {
                producers[output] = node;
            }
        }

        var included = new HashSet<NodeProto>();
        var pending = new Stack<NodeProto>(build.Plan.Nodes.Select(n => producers[n.Output[0]]));
        while (pending.TryPop(out var node))
        {
            if (!included.Add(node) || node.OpType == "QuantizeLinear")
            {
                // A QuantizeLinear reads the float model's tensor, so the walk stops there.
                continue;
            }

            foreach (var input in node.Input.Where(i => i.Length > 0 && producers.ContainsKey(i)))
            {
                pending.Push(producers[input]);
            }
        }

        var probe = SharedWeightCopy.Of(floatModel);
        var graph = probe.Graph;
        var graphInputs = quantized.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var initializers = quantized.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var copiedInitializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in quantized.Node.Where(included.Contains))
        {
            var copy = node.Clone();
            copy.Name = prefix + node.Name;
            for (var i = 0; i < copy.Input.Count; i++)
            {
                var input = copy.Input[i];
                if (input.Length == 0 || graphInputs.Contains(input) || (node.OpType == "QuantizeLinear" && i == 0))
                {
                    continue;
                }

                if (initializers.TryGetValue(input, out var initializer) && copiedInitializers.Add(input))
                {
                    graph.Initializer.Add(Renamed(initializer, prefix + input));
                }

                copy.Input[i] = prefix + input;
            }

            for (var o = 0; o < copy.Output.Count; o++)
            {
                copy.Output[o] = prefix + copy.Output[o];
            }

            graph.Node.Add(copy);
        }

        var existing = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in build.Plan.Nodes)
        {
            foreach (var name in new[] { node.Output[0], prefix + node.Output[0] }.Where(existing.Add))
            {
                graph.Output.Add(new ValueInfoProto
                {
                    Name = name,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
                });
            }
        }

        // Per-channel DequantizeLinear needs opset 13, which the quantized model already has.
        probe.OpsetImport.Clear();
        probe.OpsetImport.AddRange(build.Model.OpsetImport);
        return probe;
    }

    /// <summary>The tensor under another name; the bytes are shared (ByteString is immutable), not copied.</summary>
    private static TensorProto Renamed(TensorProto tensor, string name)
    {
        if (!tensor.HasRawData)
        {
            var plain = tensor.Clone();
            plain.Name = name;
            return plain;
        }

        var data = tensor.RawData;
        tensor.RawData = Google.Protobuf.ByteString.Empty;
        try
        {
            var copy = tensor.Clone();
            copy.Name = name;
            copy.RawData = data;
            return copy;
        }
        finally
        {
            tensor.RawData = data;
        }
    }

    private static string FreePrefix(ModelProto model)
    {
        var names = ModelWalker.AllGraphs(model)
            .SelectMany(g => g.Node.SelectMany(n => n.Output.Append(n.Name)).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Input.Select(i => i.Name)))
            .ToList();
        for (var i = 0; ; i++)
        {
            var prefix = $"int8probe{i}/";
            if (!names.Any(n => n.StartsWith(prefix, StringComparison.Ordinal)))
            {
                return prefix;
            }
        }
    }

    /// <summary>Streams one node's float and quantized outputs into per-channel error and signal energies and error sums.</summary>
    private sealed class ErrorAccumulator(Func<int, int> channelAxis)
    {
        private double[] _errorSums = [];
        private double[] _errorEnergy = [];
        private double[] _signalEnergy = [];
        private long _perChannel;

        public void Add(TensorResult reference, TensorResult quantized)
        {
            var shape = reference.Shape;
            var axis = shape.Length == 0 ? 0 : channelAxis(shape.Length);
            var channels = shape.Length == 0 ? 1 : (int)shape[axis];
            long inner = 1;
            for (var d = axis + 1; d < shape.Length; d++)
            {
                inner *= shape[d];
            }

            if (_errorSums.Length == 0)
            {
                (_errorSums, _errorEnergy, _signalEnergy) = (new double[channels], new double[channels], new double[channels]);
            }

            if (channels != _errorSums.Length || channels == 0)
            {
                // Samples of another shape along the channel axis (not a channel axis after all): keep the first shape's.
                return;
            }

            var f = reference.Values;
            var q = quantized.Values;
            for (var i = 0; i < f.Length; i++)
            {
                var error = (double)q[i] - f[i];
                if (!double.IsFinite(error))
                {
                    // A non-finite float value (an overflow the model tolerates) says nothing about quantization.
                    continue;
                }

                var c = (int)(i / inner % channels);
                _errorSums[c] += error;
                _errorEnergy[c] += error * error;
                _signalEnergy[c] += (double)f[i] * f[i];
            }

            _perChannel += f.Length / channels;
        }

        public LayerError Result(NodeProto node)
        {
            // A silent channel's error counts against the average channel's energy, so it neither vanishes nor divides by 0.
            var floor = Math.Max(_signalEnergy.DefaultIfEmpty(0).Average() * 1e-6, double.Epsilon);
            var relative = _errorEnergy.Length == 0 ? 0 : _errorEnergy.Select((e, c) => e / Math.Max(_signalEnergy[c], floor)).Average();
            var means = _perChannel == 0 ? null : _errorSums.Select(s => (float)(s / _perChannel)).ToArray();
            return new LayerError(node.Name, node.OpType, relative, means);
        }
    }
}
