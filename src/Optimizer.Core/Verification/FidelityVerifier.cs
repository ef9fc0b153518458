using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;

namespace Optimizer.Core.Verification;

/// <summary>
/// Runs the optimized model in ONNX Runtime on the verification samples and measures how far its outputs drift from
/// the original's. Loading the optimized model here is also the check that ORT accepts it at all.
/// </summary>
public static class FidelityVerifier
{
    /// <summary>The original model's outputs for every sample, computed once and shared by all profiles.</summary>
    public static IReadOnlyList<IReadOnlyList<TensorResult>> ReferenceOutputs(ModelProto original, IReadOnlyList<CalibrationSample> samples)
    {
        using var session = ModelSession.Create(original, "original model");
        return samples.Select(sample => session.Run(sample)).ToList();
    }

    /// <summary>Compares every output of <paramref name="optimized"/> with <paramref name="reference"/> (one entry per sample).</summary>
    public static FidelityReport Verify(IReadOnlyList<IReadOnlyList<TensorResult>> reference, ModelProto optimized, IReadOnlyList<CalibrationSample> samples)
    {
        using var session = ModelSession.Create(optimized, "optimized model");
        return Compare(reference, session, samples);
    }

    /// <summary>
    /// Compares like <see cref="Verify(IReadOnlyList{IReadOnlyList{TensorResult}}, ModelProto, IReadOnlyList{CalibrationSample})"/>,
    /// along <paramref name="path"/>: for the emulation paths the numbers come from <see cref="ReducedPrecisionEmulation"/>,
    /// and a float16 model must also load and run one sample in ORT's CPU provider.
    /// </summary>
    public static FidelityReport Verify(IReadOnlyList<IReadOnlyList<TensorResult>> reference, ModelProto optimized, IReadOnlyList<CalibrationSample> samples, VerificationPath path)
    {
        if (path == VerificationPath.OnnxRuntimeCpu)
        {
            return Verify(reference, optimized, samples);
        }

        if (path == VerificationPath.Float16Emulation)
        {
            ReducedPrecisionRuntimeCheck.LoadAndRun(optimized, samples);
        }

        // The emulation exists only to be run: ORT takes its weights, which leave managed memory before ORT loads them.
        using var emulation = ModelSession.CreateReleasing(ReducedPrecisionEmulation.Create(optimized), "float32 emulation of the optimized model");
        return Compare(reference, emulation, samples);
    }

    private static FidelityReport Compare(IReadOnlyList<IReadOnlyList<TensorResult>> reference, ModelSession session, IReadOnlyList<CalibrationSample> samples)
    {
        if (reference.Count == 0)
        {
            return new FidelityReport([], 0);
        }

        var names = reference[0].Select(r => r.Name).ToList();
        var accumulators = names.Select(name => new FidelityAccumulator(name)).ToList();
        for (var s = 0; s < samples.Count; s++)
        {
            var actual = session.Run(samples[s], names);
            for (var i = 0; i < names.Count; i++)
            {
                var expected = reference[s][i];
                var classes = expected.Shape.Length >= 2 ? expected.Shape[^1] : 0;
                accumulators[i].Add(expected.Values, actual[i].Values, classes);
            }
        }

        return new FidelityReport(accumulators.Select(a => a.Result()).ToList(), samples.Count);
    }
}
