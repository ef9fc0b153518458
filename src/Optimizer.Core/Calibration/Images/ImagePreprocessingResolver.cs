using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration.Images;

/// <summary>
/// Completes the configured image preprocessing from the model's input: whatever compression.yaml leaves unset
/// (size, layout, channels) is read off the input's shape, so most image models need no <c>images:</c> section at all.
/// </summary>
public static class ImagePreprocessingResolver
{
    /// <summary>The preprocessing for images feeding <paramref name="input"/>; <paramref name="firstImage"/> is named in errors.</summary>
    public static ImagePreprocessing Resolve(ImageSettings? settings, ModelInput input, string firstImage)
    {
        if (input.ElementType != DataType.Float || input.Dims is { Count: not 4 })
        {
            throw Mismatch(firstImage, $"Calibration images feed 4-d float32 inputs, but model input '{input.Name}' is " +
                $"{input.ElementType.ToString().ToLowerInvariant()}{input.FormatDims()}; save the samples as .npy instead.");
        }

        var dims = input.Dims;
        var layout = settings?.Layout switch
        {
            "nhwc" => ImageLayout.Nhwc,
            "nchw" => ImageLayout.Nchw,
            _ => dims is not null && dims[1] is not (1 or 3) && dims[3] is 1 or 3 ? ImageLayout.Nhwc : ImageLayout.Nchw,
        };
        var (channelAxis, heightAxis, widthAxis) = layout == ImageLayout.Nchw ? (1, 2, 3) : (3, 1, 2);
        var channelDim = dims?[channelAxis];
        var channels = settings?.Channels switch
        {
            "gray" => ImageChannels.Gray,
            "bgr" => ImageChannels.Bgr,
            "rgb" => ImageChannels.Rgb,
            _ => channelDim == 1 ? ImageChannels.Gray : ImageChannels.Rgb,
        };
        var preprocessing = new ImagePreprocessing
        {
            Layout = layout,
            Channels = channels,
            Height = settings?.Size?[0] ?? (int)(dims?[heightAxis] ?? throw MissingSize(firstImage, input)),
            Width = settings?.Size?[1] ?? (int)(dims?[widthAxis] ?? throw MissingSize(firstImage, input)),
            Scale = settings?.Scale ?? new ImagePreprocessing { Height = 1, Width = 1 }.Scale,
            Mean = settings?.Mean ?? [0f],
            Std = settings?.Std ?? [1f],
        };

        if (channelDim is { } expected && expected != preprocessing.ChannelCount)
        {
            throw Mismatch(firstImage, $"Model input '{input.Name}' has {expected} channels ({input.FormatDims()}, {layout.ToString().ToUpperInvariant()}) " +
                $"but calibration.images.channels '{channels.ToString().ToLowerInvariant()}' gives {preprocessing.ChannelCount}.");
        }

        foreach (var (name, values) in new[] { ("mean", preprocessing.Mean), ("std", preprocessing.Std) })
        {
            if (values.Count != 1 && values.Count != preprocessing.ChannelCount)
            {
                var at = settings?.DeclaredAt;
                throw new OptimizerException(ErrorCodes.ConfigInvalidValue,
                    $"'calibration.images.{name}' has {values.Count} values; give one per channel ({preprocessing.ChannelCount}) or a single value.",
                    at?.File, at?.Line ?? 0, at?.Column ?? 0);
            }
        }

        return preprocessing;
    }

    private static OptimizerException MissingSize(string image, ModelInput input) =>
        Mismatch(image, $"Model input '{input.Name}' has symbolic height or width {input.FormatDims()}; set calibration.images.size: [height, width].");

    private static OptimizerException Mismatch(string image, string message) => new(ErrorCodes.CalibrationMismatch, message, image);
}
