using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Generates random calibration samples from a model's declared input shapes, for when the user gave no data.
/// Seeded, so the same model and seed always give the same samples and therefore byte-identical optimized models.
/// </summary>
public static class SyntheticInputs
{
    /// <summary>
    /// The most samples generated: random inputs do not get better ranges with more of them, only slower builds.
    /// </summary>
    public const int MaxSamples = 16;

    /// <summary>
    /// Generates <paramref name="count"/> samples (at most <see cref="MaxSamples"/>). Symbolic dims become 1;
    /// floating-point inputs get N(0, 1) values (the scale of normalized images and embeddings); uint8 inputs, usually
    /// raw pixels, get 0..255; other integer inputs, usually token ids or indices, get 0..9 so any vocabulary or
    /// axis they index is large enough; booleans are fair coin flips.
    /// </summary>
    public static IReadOnlyList<CalibrationSample> Generate(IReadOnlyList<ModelInput> inputs, int count, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var samples = new List<CalibrationSample>();
        for (var i = 0; i < Math.Min(count, MaxSamples); i++)
        {
            samples.Add(new CalibrationSample($"synthetic-{i}", inputs.Select(input => Generate(input, random)).ToList()));
        }

        return samples;
    }

    private static CalibrationTensor Generate(ModelInput input, Random random)
    {
        if (input.Dims is null)
        {
            throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Model input '{input.Name}' declares no shape, so random calibration inputs cannot be generated; give a calibration folder.");
        }

        if (!CalibrationDataArrays.IsSupported(input.ElementType))
        {
            throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Model input '{input.Name}' has element type {input.ElementType}, for which no calibration inputs can be generated or fed.");
        }

        var shape = input.Dims.Select(d => d ?? 1).ToArray();
        var length = checked((int)TensorValues.ElementCount(shape));
        Array data = input.ElementType switch
        {
            DataType.Float => Fill(length, () => (float)Normal(random)),
            DataType.Double => Fill(length, () => Normal(random)),
            DataType.Float16 => Fill(length, () => (Half)Normal(random)),
            DataType.Int64 => Fill(length, () => (long)random.Next(10)),
            DataType.Int32 => Fill(length, () => random.Next(10)),
            DataType.Int16 => Fill(length, () => (short)random.Next(10)),
            DataType.Int8 => Fill(length, () => (sbyte)random.Next(10)),
            DataType.Uint8 => Fill(length, () => (byte)random.Next(256)),
            DataType.Bool => Fill(length, () => random.Next(2) == 1),
            var other => throw new ArgumentOutOfRangeException(nameof(input), other, "Unsupported element type."),
        };
        return new CalibrationTensor(input.Name, input.ElementType, shape, data);
    }

    private static T[] Fill<T>(int length, Func<T> next)
    {
        var values = new T[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = next();
        }

        return values;
    }

    // Box-Muller; System.Random with a seed is stable across .NET versions, which keeps outputs reproducible.
    private static double Normal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
