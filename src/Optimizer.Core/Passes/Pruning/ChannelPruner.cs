using System.Globalization;
using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Structured channel pruning of one model: trace channel groups, score channels, choose per-group ratios (uniform or
/// from a cached sensitivity analysis), remove the channels, then refit the layers that lost inputs.
/// </summary>
internal static class ChannelPruner
{
    public static void Prune(ModelProto model, PruningOptions options, PassContext context)
    {
        var samples = context.Calibration.Samples.Take(options.MaxSamples).ToList();
        if (samples.Count == 0)
        {
            throw new OptimizerException(ErrorCodes.CalibrationMismatch,
                "Channel pruning needs at least one calibration sample to trace shapes and measure fidelity; none was given.");
        }

        var analysis = Analyse(model, options, samples[0]);
        foreach (var (group, reasons) in analysis.Blocked.Where(b => analysis.Sources.ContainsKey(b.Key)))
        {
            context.Note($"kept all {analysis.Channels[group]} channels of {analysis.Name(group)}: {string.Join("; ", reasons)}");
        }

        var groups = analysis.PrunableGroups;
        if (groups.Count == 0)
        {
            context.Diagnostics.Warn(new Diagnostic(DiagnosticSeverity.Warning, ErrorCodes.PruningNothingPrunable,
                "Channel pruning found no channel group it can remove safely, so the model is unchanged; the report's notes name what holds each group " +
                "(graph outputs, Reshape to a fixed size, unsupported ops). Use 'method: magnitude' or exclude nothing that could be pruned."));
            context.Note("pruned nothing: no channel group can be removed safely");
            return;
        }

        var scores = ChannelImportance.Score(model, analysis, groups, options.Criterion, samples, context.Note);
        var ratios = options.Schedule == PruningSchedule.Sensitivity
            ? SensitivityRatios(model, analysis, groups, scores, samples, options, context)
            : groups.Select(_ => options.Sparsity).ToArray();

        var kept = new Dictionary<int, int[]>();
        for (var i = 0; i < groups.Count; i++)
        {
            if (ratios[i] > 0)
            {
                kept[groups[i]] = ChannelSelection.Keep(scores[groups[i]], ratios[i], options.ChannelMultiple);
            }
        }

        var original = options.Reconstruction ? model.Clone() : null;
        var parametersBefore = ModelSummary.Of(model).Parameters;
        ChannelSurgery.Apply(model, analysis, kept);
        var refitted = original is null ? 0 : LayerReconstruction.Refit(original, model, analysis, kept, samples, context.Note);

        var total = groups.Sum(g => analysis.Channels[g]);
        var removed = kept.Sum(k => analysis.Channels[k.Key] - k.Value.Length);
        var parametersAfter = ModelSummary.Of(model).Parameters;
        context.Note(string.Create(CultureInfo.InvariantCulture,
            $"removed {removed} of {total} channels in {kept.Count} of {groups.Count} prunable groups ({options.Criterion}, {options.Schedule} schedule); " +
            $"parameters {parametersBefore} -> {parametersAfter} ({parametersAfter / (double)parametersBefore:0.000}x)"));
        foreach (var group in groups)
        {
            var keptHere = kept.TryGetValue(group, out var k) ? k.Length : analysis.Channels[group];
            context.Note($"  {analysis.Name(group)}: {analysis.Channels[group]} -> {keptHere} channels");
        }

        context.Note(options.Reconstruction
            ? $"reconstruction: refitted {refitted} layers by regularised least squares on {samples.Count} calibration samples"
            : "reconstruction: off");
    }

    /// <summary>Traces twice: the first pass names the tensors whose concrete shapes the exact second pass needs.</summary>
    internal static ChannelAnalysis Analyse(ModelProto model, PruningOptions options, CalibrationSample sample)
    {
        var first = ChannelTracer.Trace(model, options.Exclude, shapes: null);
        var shapes = TracedActivations.Shapes(model, first.Layouts.Keys.ToList(), sample);
        return ChannelTracer.Trace(model, options.Exclude, shapes);
    }

    private static double[] SensitivityRatios(ModelProto model, ChannelAnalysis analysis, IReadOnlyList<int> groups,
        IReadOnlyDictionary<int, double[]> scores, IReadOnlyList<CalibrationSample> samples, PruningOptions options, PassContext context)
    {
        var cache = options.CacheDirectory is null ? null : new SensitivityCache(options.CacheDirectory);
        var key = cache is null ? null : SensitivityCache.Key(model, options, samples);
        var table = cache?.Load(key!);
        if (table is not null && table.Rows.Count == groups.Count)
        {
            context.Note($"sensitivity table reused from {cache!.PathFor(key!)}");
        }
        else
        {
            table = SensitivityAnalysis.Measure(model, analysis, groups, scores, samples, options.ChannelMultiple,
                options.SensitivityReconstruction, context.Diagnostics.Detail);
            if (cache is not null && cache.Save(key!, table))
            {
                context.Note($"sensitivity table cached at {cache.PathFor(key!)}");
            }
        }

        context.Note(options.SensitivityReconstruction
            ? "sensitivity measured with reconstruction (refitted on every other calibration sample, measured on the rest)"
            : "sensitivity measured without reconstruction");
        foreach (var line in table.Lines())
        {
            context.Note(line);
        }

        var ratios = RatioSchedule.Choose(table, options.Sparsity, options.SensitivityFloor, options.ChannelMultiple);
        var removed = groups.Select((g, i) => ChannelSelection.Removed(analysis.Channels[g], ratios[i], options.ChannelMultiple)).Sum();
        var target = (int)Math.Round(options.Sparsity * groups.Sum(g => analysis.Channels[g]));
        if (removed < target)
        {
            context.Diagnostics.Warn(new Diagnostic(DiagnosticSeverity.Warning, ErrorCodes.PruningTargetNotReached, string.Create(CultureInfo.InvariantCulture,
                $"Sensitivity-scheduled pruning removed {removed} channels instead of the {target} that sparsity {options.Sparsity:0.##} asks for: " +
                $"pruning more would drop some group's output cosine below {options.SensitivityFloor:0.###}. Lower the sparsity, or use 'schedule: uniform'.")));
        }

        return ratios;
    }
}
