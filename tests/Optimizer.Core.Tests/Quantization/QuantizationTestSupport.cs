using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes;
using Optimizer.Core.Runtime;
using Optimizer.Core.Tests.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>Records warnings so tests can assert on what the pass reported.</summary>
internal sealed class RecordingSink : IDiagnosticSink
{
    public List<Diagnostic> Warnings { get; } = [];

    public void Warn(Diagnostic diagnostic) => Warnings.Add(diagnostic);

    public void Detail(string message)
    {
    }
}

/// <summary>Calibration data, ORT runs and fidelity metrics shared by the quantization tests.</summary>
internal static class QuantizationTestSupport
{
    /// <summary>Samples of normally distributed values for one float input.</summary>
    public static CalibrationSet RandomSamples(string input, long[] shape, int count, int seed)
    {
        var random = new Random(seed);
        var samples = new List<CalibrationSample>();
        for (var s = 0; s < count; s++)
        {
            var values = TensorValues.ReadFloats(ConvNetModel.RandomTensor(random, "x", shape, 1f));
            samples.Add(new CalibrationSample($"sample{s}", [new CalibrationTensor(input, DataType.Float, shape, values)]));
        }

        return new CalibrationSet(samples, IsSynthetic: true, Source: null);
    }

    public static PassContext Context(CalibrationSet calibration, out RecordingSink sink)
    {
        sink = new RecordingSink();
        return new PassContext(calibration, sink);
    }

    /// <summary>All outputs of every sample, concatenated, from one ORT session.</summary>
    public static float[] RunAll(ModelProto model, CalibrationSet samples, string? optimizedModelPath = null)
    {
        using var session = ModelSession.Create(model, "test model", optimizedModelPath);
        return samples.Samples.SelectMany(s => session.Run(s).SelectMany(r => r.Values)).ToArray();
    }

    public static double Cosine(float[] a, float[] b)
    {
        Assert.HasCount(a.Length, b);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>Op types of the graph ORT actually executes, after its fusions, as saved through optimizedModelPath.</summary>
    public static List<string> OptimizedOpTypes(ModelProto model, string directory, CalibrationSet sample)
    {
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.optimized.onnx");
        RunAll(model, new CalibrationSet([sample.Samples[0]], true, null), path);
        return ModelFile.Load(path).Graph.Node.Select(n => n.OpType).ToList();
    }

    public static byte[] Serialize(ModelProto model) => ModelFile.ToBytes(model);
}
