using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.TestModels;

/// <summary>
/// A keyword-spotting style audio model whose float32 intermediates reach ~1e11, as real speech front-ends do: the
/// waveform is scaled to 16-bit PCM range (as Kaldi-compatible fbank does), an STFT runs as two strided Convs with
/// Hann-windowed cosine/sine kernels, the power spectrum (re² + im²) goes through a mel filterbank MatMul and a Log,
/// then a small Conv1d classifier. Everything up to the Log overflows float16; everything after fits it easily.
/// The cosine kernel lives in a Constant node, the batch dim is symbolic, opset 13.
/// </summary>
public static class AudioFrontEndModel
{
    /// <summary>Input name of the model: [batch, 1, samples] waveform in [-1, 1]-ish units.</summary>
    public const string Input = "waveform";

    /// <summary>Output name of the model: [batch, classes] logits.</summary>
    public const string Output = "logits";

    /// <summary>Builds the model for <paramref name="samples"/> waveform samples per clip.</summary>
    public static ModelProto Create(int samples = 2048, int frame = 128, int mels = 16, int channels = 32, int classes = 10, int seed = 23)
    {
        var b = new GraphBuilder("audio", new Random(seed));
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 1, samples));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", classes));
        var bins = frame / 2;
        var stft = new[] { Attributes.Ints("kernel_shape", frame), Attributes.Ints("strides", frame / 2) };

        var pcm = b.Node("Mul", [Input, b.Scalar("pcm_scale", 32768f)], name: "pcm");
        var real = b.Node("Conv", [pcm, b.Constant("stft.cos", [bins, 1, frame], Basis(bins, frame, MathF.Cos))], output: "stft.real", name: "stft_real", attributes: stft);
        b.Graph.Initializer.Add(TensorValues.FromFloats("stft.sin", [bins, 1, frame], Basis(bins, frame, MathF.Sin)));
        var imaginary = b.Node("Conv", [pcm, "stft.sin"], output: "stft.imag", name: "stft_imag", attributes: stft);
        var power = b.Node("Add", [b.Node("Mul", [real, real]), b.Node("Mul", [imaginary, imaginary])], output: "power", name: "power");
        b.Graph.Initializer.Add(TensorValues.FromFloats("mel.filters", [mels, bins], MelFilters(mels, bins)));
        var mel = b.Node("MatMul", ["mel.filters", power], output: "mel", name: "mel");
        var logMel = b.Node("Log", [b.Node("Add", [mel, b.Scalar("log_floor", 1e-6f)])], output: "log_mel", name: "log_mel");
        var features = b.Node("Mul", [b.Node("Sub", [logMel, b.Scalar("log_mean", 20f)]), b.Scalar("log_scale", 0.25f)]);

        var conv1 = b.Node("Relu", [b.Node("Conv", [features, b.Weight("conv1.weight", [channels, mels, 3], MathF.Sqrt(2f / (mels * 3))), b.Weight("conv1.bias", [channels], 0.05f)],
            Attributes.Ints("kernel_shape", 3), Attributes.Ints("pads", 1, 1))]);
        var conv2 = b.Node("Relu", [b.Node("Conv", [conv1, b.Weight("conv2.weight", [channels, channels, 3], MathF.Sqrt(2f / (channels * 3))), b.Weight("conv2.bias", [channels], 0.05f)],
            Attributes.Ints("kernel_shape", 3), Attributes.Ints("pads", 1, 1))]);
        var pooled = b.Node("Flatten", [b.Node("GlobalAveragePool", [conv2])], Attributes.Int("axis", 1));
        b.Node("Gemm", [pooled, b.Weight("fc.weight", [classes, channels], MathF.Sqrt(1f / channels)), b.Weight("fc.bias", [classes], 0.05f)],
            output: Output, name: "fc", attributes: Attributes.Int("transB", 1));
        return b.Model(13);
    }

    /// <summary>Hann-windowed DFT kernels for bins 0..bins-1, laid out as Conv1d weights [bins, 1, frame].</summary>
    private static float[] Basis(int bins, int frame, Func<float, float> wave)
    {
        var values = new float[bins * frame];
        for (var k = 0; k < bins; k++)
        {
            for (var n = 0; n < frame; n++)
            {
                var window = 0.5f - (0.5f * MathF.Cos(2 * MathF.PI * n / frame));
                values[(k * frame) + n] = window * wave(2 * MathF.PI * k * n / frame);
            }
        }

        return values;
    }

    /// <summary>Triangular filters with centres evenly spaced on the mel scale (16 kHz audio), as [mels, bins].</summary>
    private static float[] MelFilters(int mels, int bins)
    {
        static double Mel(double hz) => 2595 * Math.Log10(1 + (hz / 700));
        static double Hz(double mel) => 700 * (Math.Pow(10, mel / 2595) - 1);
        var edges = Enumerable.Range(0, mels + 2).Select(i => Hz(Mel(8000) * i / (mels + 1)) / 8000 * (bins - 1)).ToArray();
        var values = new float[mels * bins];
        for (var m = 0; m < mels; m++)
        {
            for (var k = 0; k < bins; k++)
            {
                var rising = (k - edges[m]) / Math.Max(edges[m + 1] - edges[m], 1e-6);
                var falling = (edges[m + 2] - k) / Math.Max(edges[m + 2] - edges[m + 1], 1e-6);
                values[(m * bins) + k] = (float)Math.Max(0, Math.Min(rising, falling));
            }
        }

        return values;
    }
}
