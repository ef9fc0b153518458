using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ImageClassifier;

/// <summary>
/// Runs one ONNX model on float32 images and returns float32 outputs, converting at the boundary when the model's
/// input or output is float16 (an FP16 model may keep float16 I/O).
/// </summary>
internal sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly bool _float16Input;

    public ModelRunner(string path)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(path, options);
        var input = _session.InputMetadata.First();
        _inputName = input.Key;
        _float16Input = input.Value.ElementDataType == TensorElementType.Float16;
    }

    /// <summary>The first output for one image.</summary>
    public float[] Run(float[] image, int[] shape)
    {
        using var input = _float16Input
            ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(image, v => (Float16)BitConverter.HalfToUInt16Bits((Half)v)), Array.ConvertAll(shape, d => (long)d))
            : OrtValue.CreateTensorValueFromMemory(image, Array.ConvertAll(shape, d => (long)d));
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [_inputName], [input], [_session.OutputNames[0]]);
        var output = outputs[0];
        return output.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float16
            ? output.GetTensorDataAsSpan<Float16>().ToArray().Select(h => h.ToFloat()).ToArray()
            : output.GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Mean milliseconds per image over <paramref name="rounds"/> passes, after one warm-up pass.</summary>
    public double MeanLatencyMs(IReadOnlyList<(float[] Data, int[] Shape)> images, int rounds)
    {
        foreach (var (data, shape) in images)
        {
            Run(data, shape);
        }

        var clock = Stopwatch.StartNew();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (data, shape) in images)
            {
                Run(data, shape);
            }
        }

        return clock.Elapsed.TotalMilliseconds / (rounds * images.Count);
    }

    public void Dispose() => _session.Dispose();
}
