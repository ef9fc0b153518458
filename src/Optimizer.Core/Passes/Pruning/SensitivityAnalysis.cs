using System.Numerics.Tensors;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Prunes each group alone at every ratio of <see cref="SensitivityTable.DefaultRatios"/> and measures the output
/// cosine against the unpruned model on calibration data, so the schedule can spare the groups the model needs most.
/// </summary>
internal static class SensitivityAnalysis
{
    public static SensitivityTable Measure(ModelProto model, ChannelAnalysis analysis, IReadOnlyList<int> groups,
        IReadOnlyDictionary<int, double[]> scores, IReadOnlyList<CalibrationSample> samples, int multiple)
    {
        var reference = TracedActivations.Outputs(model, samples, "float model (sensitivity reference)");
        var ratios = SensitivityTable.DefaultRatios;
        var rows = new List<SensitivityRow>();
        foreach (var group in groups)
        {
            var cosines = new List<double>();
            foreach (var ratio in ratios)
            {
                var pruned = model.Clone();
                ChannelSurgery.Apply(pruned, analysis, new Dictionary<int, int[]> { [group] = ChannelSelection.Keep(scores[group], ratio, multiple) });
                var outputs = TracedActivations.Outputs(pruned, samples, $"model with {analysis.Name(group)} pruned (sensitivity)");
                cosines.Add(TensorPrimitives.CosineSimilarity(reference, outputs));
            }

            rows.Add(new SensitivityRow(analysis.Name(group), analysis.Channels[group], cosines));
        }

        return new SensitivityTable(ratios, rows);
    }
}
