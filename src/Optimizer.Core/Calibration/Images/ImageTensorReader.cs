using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;
using SkiaSharp;

namespace Optimizer.Core.Calibration.Images;

/// <summary>Decodes an image file (PNG, JPEG, BMP, WebP, GIF) with SkiaSharp and turns it into a float32 tensor.</summary>
public static class ImageTensorReader
{
    /// <summary>File extensions treated as images in a calibration folder.</summary>
    public static IReadOnlySet<string> Extensions { get; } =
        new HashSet<string>([".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads <paramref name="path"/> as the tensor named <paramref name="inputName"/>.</summary>
    public static CalibrationTensor Read(string path, string inputName, ImagePreprocessing preprocessing)
    {
        using var decoded = SKBitmap.Decode(path)
            ?? throw new OptimizerException(ErrorCodes.CalibrationUnreadable,
                $"'{Path.GetFileName(path)}' is not an image SkiaSharp can decode (PNG, JPEG, BMP, WebP, GIF).", path);
        var target = new SKImageInfo(preprocessing.Width, preprocessing.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var converted = decoded.Width == preprocessing.Width && decoded.Height == preprocessing.Height
            ? decoded.Copy(SKColorType.Rgba8888)
            : decoded.Resize(target, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        if (converted is null)
        {
            throw new OptimizerException(ErrorCodes.CalibrationUnreadable,
                $"'{Path.GetFileName(path)}' could not be converted to {preprocessing.Width}x{preprocessing.Height} RGBA.", path);
        }

        return new CalibrationTensor(inputName, TensorProto.Types.DataType.Float, preprocessing.Shape, ToTensor(converted.GetPixelSpan(), preprocessing));
    }

    /// <summary>Turns RGBA8888 pixels (row-major, <see cref="ImagePreprocessing.Height"/> x <see cref="ImagePreprocessing.Width"/>) into tensor values.</summary>
    public static float[] ToTensor(ReadOnlySpan<byte> rgba, ImagePreprocessing preprocessing)
    {
        var channels = preprocessing.ChannelCount;
        var pixels = preprocessing.Height * preprocessing.Width;
        var values = new float[pixels * channels];
        for (var p = 0; p < pixels; p++)
        {
            var (r, g, b) = (rgba[p * 4], rgba[(p * 4) + 1], rgba[(p * 4) + 2]);
            for (var c = 0; c < channels; c++)
            {
                float pixel = preprocessing.Channels switch
                {
                    ImageChannels.Gray => (0.299f * r) + (0.587f * g) + (0.114f * b),
                    ImageChannels.Bgr => c == 0 ? b : c == 1 ? g : r,
                    _ => c == 0 ? r : c == 1 ? g : b,
                };
                var mean = preprocessing.Mean[preprocessing.Mean.Count == 1 ? 0 : c];
                var std = preprocessing.Std[preprocessing.Std.Count == 1 ? 0 : c];
                var index = preprocessing.Layout == ImageLayout.Nchw ? (c * pixels) + p : (p * channels) + c;
                values[index] = ((pixel * preprocessing.Scale) - mean) / std;
            }
        }

        return values;
    }
}
