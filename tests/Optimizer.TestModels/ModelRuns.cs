using System.Numerics.Tensors;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>Sample data, ONNX Runtime runs and similarity metrics that tests use to assert on numbers.</summary>
public static class ModelRuns
{
    /// <summary>Normally distributed float samples for one input (plus fixed extra inputs such as an If condition).</summary>
    public static CalibrationSet RandomSamples(string input, long[] shape, int count, int seed, Func<int, CalibrationTensor>? extra = null)
    {
        var random = new Random(seed);
        var samples = new List<CalibrationSample>();
        for (var s = 0; s < count; s++)
        {
            var values = TensorValues.ReadFloats(ConvNetModel.RandomTensor(random, input, shape, 1f));
            var inputs = new List<CalibrationTensor> { new(input, DataType.Float, shape, values) };
            if (extra is not null)
            {
                inputs.Add(extra(s));
            }

            samples.Add(new CalibrationSample($"sample{s}", inputs));
        }

        return new CalibrationSet(samples, IsSynthetic: true, Source: null);
    }

    /// <summary>The same samples with every float32 input rounded to float16, for models with float16 inputs.</summary>
    public static CalibrationSet AsFloat16(CalibrationSet samples) => samples with
    {
        Samples = samples.Samples.Select(s => s with
        {
            Inputs = s.Inputs.Select(i => i.ElementType == DataType.Float
                ? i with { ElementType = DataType.Float16, Data = Array.ConvertAll((float[])i.Data, v => (Half)v) }
                : i).ToList(),
        }).ToList(),
    };

    /// <summary>
    /// Every output value of every sample, concatenated, from one ORT CPU session; <paramref name="optimizedModelPath"/>
    /// saves the graph ORT actually executes after its fusions.
    /// </summary>
    public static float[] RunAll(ModelProto model, CalibrationSet samples, string? optimizedModelPath = null)
    {
        using var session = ModelSession.Create(model, "test model", optimizedModelPath);
        return samples.Samples.SelectMany(s => session.Run(s).SelectMany(r => r.Values)).ToArray();
    }

    /// <summary>Cosine similarity of two equally long vectors (throws when the lengths differ).</summary>
    public static double Cosine(float[] a, float[] b) => TensorPrimitives.CosineSimilarity(a, b);
}
