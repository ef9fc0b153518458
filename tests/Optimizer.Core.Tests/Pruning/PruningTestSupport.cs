using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Pruning;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Pruning;

/// <summary>Runs the pruning pass on a copy of a model and measures what tests assert on.</summary>
internal static class PruningTestSupport
{
    /// <summary>Prunes a copy of <paramref name="model"/>; returns it with the pass's notes and warnings.</summary>
    public static (ModelProto Model, PassContext Context, RecordingSink Sink) Prune(ModelProto model, CalibrationSet calibration, PruningOptions options)
    {
        var sink = new RecordingSink();
        var context = new PassContext(calibration, sink);
        var pruned = new PruningPass(options).Apply(model.Clone(), context);
        return (pruned, context, sink);
    }

    /// <summary>Parameters of <paramref name="model"/> (initializers and Constant tensors).</summary>
    public static long Parameters(ModelProto model) => ModelSummary.Of(model).Parameters;

    /// <summary>Output cosine of <paramref name="pruned"/> against <paramref name="original"/> on <paramref name="samples"/>.</summary>
    public static double Fidelity(ModelProto original, ModelProto pruned, CalibrationSet samples) =>
        ModelRuns.Cosine(ModelRuns.RunAll(original, samples), ModelRuns.RunAll(pruned, samples));
}
