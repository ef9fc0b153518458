using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>Runs a model in ONNX Runtime with chosen intermediate tensors exposed, one sample at a time.</summary>
internal static class TracedActivations
{
    /// <summary>Calls <paramref name="observe"/> with the values of <paramref name="tensors"/> for every sample.</summary>
    public static void Run(ModelProto model, IReadOnlyList<string> tensors, IEnumerable<CalibrationSample> samples,
        string description, Action<IReadOnlyList<TensorResult>> observe)
    {
        using var session = ModelSession.Create(ActivationCollector.WithOutputs(model, tensors), description);
        foreach (var sample in samples)
        {
            observe(session.Run(sample, tensors));
        }
    }

    /// <summary>The concrete shape of each of <paramref name="tensors"/> on <paramref name="sample"/>.</summary>
    public static Dictionary<string, long[]> Shapes(ModelProto model, IReadOnlyList<string> tensors, CalibrationSample sample)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        if (tensors.Count > 0)
        {
            Run(model, tensors, [sample], "model (measuring channel shapes)", results =>
            {
                foreach (var result in results)
                {
                    shapes[result.Name] = result.Shape;
                }
            });
        }

        return shapes;
    }

    /// <summary>Every output of <paramref name="model"/> on every sample, concatenated (for cosine comparisons).</summary>
    public static float[] Outputs(ModelProto model, IEnumerable<CalibrationSample> samples, string description)
    {
        using var session = ModelSession.Create(model, description);
        return samples.SelectMany(s => session.Run(s).SelectMany(r => r.Values)).ToArray();
    }
}
