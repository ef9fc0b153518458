using System.Numerics.Tensors;
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

    /// <summary>
    /// The error of each node <paramref name="build"/> quantized, against <paramref name="floatModel"/>, on the calibration
    /// samples (what the accuracy fallback ranks nodes by).
    /// </summary>
    public static IReadOnlyList<LayerError> Measure(ModelProto floatModel, QdqBuild build, CalibrationSet calibration, PhaseTimer timer)
    {
        var nodes = build.Plan.Nodes.ToList();
        if (nodes.Count == 0)
        {
            return [];
        }

        var prefix = FreePrefix(floatModel);
        var probe = timer.Time("probe model", () => WithQuantizedCopies(floatModel, build.Model, nodes, prefix));
        var requested = nodes.SelectMany(n => new[] { n.Output[0], prefix + n.Output[0] }).ToList();
        var accumulators = nodes.Select(n => new ErrorAccumulator(rank => ChannelAxis(n, rank))).ToList();
        using var session = timer.Time("probe session", () => ModelSession.CreateForAnalysis(probe, "float model with quantized copies of its layers (bias correction)"));
        timer.Time("probe runs", () =>
        {
            foreach (var sample in calibration.Samples.Take(MaxSamples))
            {
                // Read in place: the float and quantized output of every layer is most of what the probe produces.
                session.RunInPlace(sample, requested, outputs =>
                {
                    for (var i = 0; i < accumulators.Count; i++)
                    {
                        accumulators[i].Add(outputs.Shape(2 * i), outputs.Values(2 * i), outputs.Values((2 * i) + 1));
                    }
                });
            }
        });

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
    private static ModelProto WithQuantizedCopies(ModelProto floatModel, ModelProto quantizedModel, List<NodeProto> nodes, string prefix)
    {
        var quantized = quantizedModel.Graph;
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in quantized.Node)
        {
            foreach (var output in node.Output)
            {
                producers[output] = node;
            }
        }

        var included = new HashSet<NodeProto>();
        var pending = new Stack<NodeProto>(nodes.Select(n => producers[n.Output[0]]));
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
        foreach (var node in nodes)
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
        probe.OpsetImport.AddRange(quantizedModel.OpsetImport);
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

        public void Add(long[] shape, ReadOnlySpan<float> reference, ReadOnlySpan<float> quantized)
        {
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

            var sample = new ChannelSums(channels);
            if (!sample.TryAddVectorized(reference, quantized, (int)inner))
            {
                sample = new ChannelSums(channels);
                sample.AddSkippingNonFinite(reference, quantized, inner);
            }

            for (var c = 0; c < channels; c++)
            {
                _errorSums[c] += sample.Error[c];
                _errorEnergy[c] += sample.ErrorEnergy[c];
                _signalEnergy[c] += sample.SignalEnergy[c];
            }

            _perChannel += reference.Length / channels;
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

    /// <summary>One sample's per-channel sums of the error, its square and the float signal's square.</summary>
    private sealed class ChannelSums(int channels)
    {
        public double[] Error { get; } = new double[channels];

        public double[] ErrorEnergy { get; } = new double[channels];

        public double[] SignalEnergy { get; } = new double[channels];

        /// <summary>
        /// SIMD sums, per contiguous run of one channel's values ([..., C, inner] with inner &gt; 1) or per row of
        /// channels (inner = 1, channels last); false when a sum is not finite, so the caller can redo the sample
        /// skipping non-finite values, as an overflow the float model tolerates says nothing about quantization.
        /// </summary>
        public bool TryAddVectorized(ReadOnlySpan<float> reference, ReadOnlySpan<float> quantized, int inner)
        {
            var error = new float[Math.Max(inner, channels)];
            if (inner > 1)
            {
                for (var start = 0; start < reference.Length; start += inner)
                {
                    var c = start / inner % channels;
                    var f = reference.Slice(start, inner);
                    TensorPrimitives.Subtract(quantized.Slice(start, inner), f, error.AsSpan(0, inner));
                    Error[c] += TensorPrimitives.Sum(error.AsSpan(0, inner));
                    ErrorEnergy[c] += TensorPrimitives.SumOfSquares(error.AsSpan(0, inner));
                    SignalEnergy[c] += TensorPrimitives.SumOfSquares(f);
                }
            }
            else
            {
                // Channels last: accumulate whole rows, in float per sample (a few hundred rows at most lose nothing
                // that matters next to quantization error), then widen.
                var (sum, energy, signal) = (new float[channels], new float[channels], new float[channels]);
                for (var start = 0; start < reference.Length; start += channels)
                {
                    var f = reference.Slice(start, channels);
                    TensorPrimitives.Subtract(quantized.Slice(start, channels), f, error);
                    TensorPrimitives.Add(sum, error, sum);
                    TensorPrimitives.MultiplyAdd(error, error, energy, energy);
                    TensorPrimitives.MultiplyAdd(f, f, signal, signal);
                }

                for (var c = 0; c < channels; c++)
                {
                    (Error[c], ErrorEnergy[c], SignalEnergy[c]) = (sum[c], energy[c], signal[c]);
                }
            }

            return Error.All(double.IsFinite) && ErrorEnergy.All(double.IsFinite) && SignalEnergy.All(double.IsFinite);
        }

        /// <summary>Element by element in double, leaving out positions whose error is not finite.</summary>
        public void AddSkippingNonFinite(ReadOnlySpan<float> reference, ReadOnlySpan<float> quantized, long inner)
        {
            for (var i = 0; i < reference.Length; i++)
            {
                var error = (double)quantized[i] - reference[i];
                if (!double.IsFinite(error))
                {
                    continue;
                }

                var c = (int)(i / inner % channels);
                Error[c] += error;
                ErrorEnergy[c] += error * error;
                SignalEnergy[c] += (double)reference[i] * reference[i];
            }
        }
    }
}
