using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Core.Calibration;

namespace Optimizer.EndToEnd.Tests.Infrastructure;

/// <summary>Runs a model file in ONNX Runtime on float32 inputs and returns its first output as float32.</summary>
internal static class OnnxModelRunner
{
    /// <summary>The model's first output for each .npy input in <paramref name="inputFiles"/>.</summary>
    public static IReadOnlyList<float[]> Run(string modelPath, IEnumerable<string> inputFiles)
    {
        using var session = new InferenceSession(modelPath);
        var input = session.InputMetadata.First();
        var float16Input = input.Value.ElementDataType == TensorElementType.Float16;
        var outputs = new List<float[]>();
        foreach (var file in inputFiles)
        {
            var tensor = NpyReader.Read(file);
            var data = (float[])tensor.Data;
            using var value = float16Input
                ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(data, v => (Float16)BitConverter.HalfToUInt16Bits((Half)v)), tensor.Shape)
                : OrtValue.CreateTensorValueFromMemory(data, tensor.Shape);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, [input.Key], [value], [session.OutputNames[0]]);
            var output = results[0];
            outputs.Add(output.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float16
                ? output.GetTensorDataAsSpan<Float16>().ToArray().Select(h => h.ToFloat()).ToArray()
                : output.GetTensorDataAsSpan<float>().ToArray());
        }

        return outputs;
    }

    /// <summary>Cosine similarity of all outputs taken as one vector.</summary>
    public static double Cosine(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual)
    {
        double dot = 0, normExpected = 0, normActual = 0;
        for (var s = 0; s < expected.Count; s++)
        {
            for (var i = 0; i < expected[s].Length; i++)
            {
                dot += expected[s][i] * (double)actual[s][i];
                normExpected += expected[s][i] * (double)expected[s][i];
                normActual += actual[s][i] * (double)actual[s][i];
            }
        }

        return dot / Math.Sqrt(normExpected * normActual);
    }
}
