using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Scores every channel of every prunable group (higher is more important). L1/L2 use the norms of the producers'
/// filters, each producer normalised by its mean so that the branches of a residual group weigh alike; APoZ uses the
/// share of zeros the channel's ReLU output has on calibration data.
/// </summary>
internal static class ChannelImportance
{
    /// <summary>Scores of each root group in <paramref name="groups"/>; <paramref name="note"/> hears about fallbacks.</summary>
    public static Dictionary<int, double[]> Score(ModelProto model, ChannelAnalysis analysis, IReadOnlyList<int> groups,
        PruningCriterion criterion, IReadOnlyList<CalibrationSample> samples, Action<string> note)
    {
        var norms = groups.ToDictionary(g => g, g => FilterNorms(model, analysis, g, criterion == PruningCriterion.L2 ? 2 : 1));
        if (criterion != PruningCriterion.Apoz)
        {
            return norms;
        }

        var zeros = ZeroFractions(model, analysis, groups, samples);
        var scores = new Dictionary<int, double[]>();
        foreach (var group in groups)
        {
            if (zeros.TryGetValue(group, out var fractions))
            {
                scores[group] = fractions.Select(f => 1 - f).ToArray();
            }
            else
            {
                note($"APoZ: group {analysis.Name(group)} has no ReLU output to measure; scored by L1 norm instead");
                scores[group] = norms[group];
            }
        }

        return scores;
    }

    private static double[] FilterNorms(ModelProto model, ChannelAnalysis analysis, int group, int power)
    {
        var initializers = PrunableLayers.Initializers(model.Graph);
        var scores = new double[analysis.Channels[group]];
        foreach (var source in analysis.Sources[group])
        {
            var weight = initializers[source.Weight];
            var values = TensorValues.ReadFloats(weight);
            var dims = weight.Dims.ToArray();
            var inner = dims.Skip(source.Axis + 1).Aggregate(1L, (p, d) => p * d);
            var channels = dims[source.Axis];
            var norms = new double[channels];
            for (var i = 0L; i < values.Length; i++)
            {
                var value = Math.Abs(values[i]);
                norms[i / inner % channels] += power == 1 ? value : value * value;
            }

            if (power == 2)
            {
                norms = norms.Select(Math.Sqrt).ToArray();
            }

            var mean = norms.Average();
            for (var c = 0; c < scores.Length; c++)
            {
                scores[c] += mean > 0 ? norms[c] / mean : 0;
            }
        }

        return scores;
    }

    /// <summary>Per root group, the average share of zeros of each channel over every ReLU output of the group.</summary>
    private static Dictionary<int, double[]> ZeroFractions(ModelProto model, ChannelAnalysis analysis, IReadOnlyList<int> groups, IReadOnlyList<CalibrationSample> samples)
    {
        var wanted = groups.ToHashSet();
        var relus = model.Graph.Node
            .Where(n => n.OpType == "Relu" && Opsets.IsDefaultDomain(n.Domain) && analysis.Layouts.TryGetValue(n.Output[0], out var l)
                && l.Groups.Any(g => wanted.Contains(analysis.Root(g))))
            .Select(n => n.Output[0]).ToList();
        var zeros = new Dictionary<int, double[]>();
        var counts = new Dictionary<int, double[]>();
        if (relus.Count == 0)
        {
            return zeros;
        }

        TracedActivations.Run(model, relus, samples, "float model (measuring APoZ)", results =>
        {
            foreach (var result in results)
            {
                var layout = analysis.Layouts[result.Name];
                var axisLength = result.Shape[layout.Axis];
                var inner = result.Shape.Skip(layout.Axis + 1).Aggregate(1L, (p, d) => p * d);
                long offset = 0;
                foreach (var segment in layout.Segments)
                {
                    var root = analysis.Root(segment.Group);
                    if (wanted.Contains(root))
                    {
                        var z = zeros.TryGetValue(root, out var a) ? a : zeros[root] = new double[analysis.Channels[root]];
                        var n = counts.TryGetValue(root, out var b) ? b : counts[root] = new double[analysis.Channels[root]];
                        for (var i = 0L; i < result.Values.Length; i++)
                        {
                            var position = i / inner % axisLength - offset;
                            if (position >= 0 && position < segment.Channels * segment.Inner)
                            {
                                var channel = (int)(position / segment.Inner);
                                n[channel]++;
                                z[channel] += result.Values[i] == 0 ? 1 : 0;
                            }
                        }
                    }

                    offset += segment.Channels * segment.Inner;
                }
            }
        });

        foreach (var (root, z) in zeros)
        {
            for (var c = 0; c < z.Length; c++)
            {
                z[c] = counts[root][c] > 0 ? z[c] / counts[root][c] : 0;
            }
        }

        return zeros;
    }
}
