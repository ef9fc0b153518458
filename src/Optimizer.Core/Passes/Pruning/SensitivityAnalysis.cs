using System.Numerics.Tensors;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Prunes each group alone at every ratio of <see cref="SensitivityTable.DefaultRatios"/> and measures the output
/// cosine against the unpruned model on calibration data, so the schedule can spare the groups the model needs most.
/// With reconstruction, each trial also refits the layers after the group, as the final pruning will, on every other
/// sample, and is measured on the others: a refit measured on its own samples looks nearly lossless at any ratio.
/// </summary>
internal static class SensitivityAnalysis
{
    /// <summary>
    /// Measures every group of <paramref name="groups"/>; <paramref name="progress"/> hears "sensitivity layer i/N"
    /// before each, because on a real model this is the pass's longest step (a model run per layer and ratio).
    /// </summary>
    public static SensitivityTable Measure(ModelProto model, ChannelAnalysis analysis, IReadOnlyList<int> groups,
        IReadOnlyDictionary<int, double[]> scores, IReadOnlyList<CalibrationSample> samples, int multiple, bool reconstruction, Action<string> progress)
    {
        var held = reconstruction && samples.Count > 1;
        var fit = held ? samples.Where((_, i) => i % 2 == 0).ToList() : samples;
        var measured = held ? samples.Where((_, i) => i % 2 == 1).ToList() : samples;
        var reference = TracedActivations.Outputs(model, measured, "float model (sensitivity reference)");
        var ratios = SensitivityTable.DefaultRatios;
        var rows = new List<SensitivityRow>();
        foreach (var (group, index) in groups.Select((g, i) => (g, i)))
        {
            progress($"sensitivity layer {index + 1}/{groups.Count} ({analysis.Name(group)}, {ratios.Count} ratios on {measured.Count} samples)");
            var cosines = new List<double>();
            foreach (var ratio in ratios)
            {
                var pruned = model.Clone();
                var kept = new Dictionary<int, int[]> { [group] = ChannelSelection.Keep(scores[group], ratio, multiple) };
                ChannelSurgery.Apply(pruned, analysis, kept);
                if (reconstruction)
                {
                    LayerReconstruction.Refit(model, pruned, analysis, kept, fit, note: _ => { });
                }

                var outputs = TracedActivations.Outputs(pruned, measured, $"model with {analysis.Name(group)} pruned (sensitivity)");
                cosines.Add(TensorPrimitives.CosineSimilarity(reference, outputs));
            }

            rows.Add(new SensitivityRow(analysis.Name(group), analysis.Channels[group], cosines));
        }

        return new SensitivityTable(ratios, rows);
    }
}
