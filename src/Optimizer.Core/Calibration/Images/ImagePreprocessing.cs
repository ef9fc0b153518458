namespace Optimizer.Core.Calibration.Images;

/// <summary>Where the channel axis of an image tensor is.</summary>
public enum ImageLayout
{
    /// <summary>[batch, channels, height, width] (PyTorch exports).</summary>
    Nchw,

    /// <summary>[batch, height, width, channels] (TensorFlow/Keras exports).</summary>
    Nhwc,
}

/// <summary>Which channels an image tensor holds, in order.</summary>
public enum ImageChannels
{
    /// <summary>Red, green, blue.</summary>
    Rgb,

    /// <summary>Blue, green, red (OpenCV-trained models).</summary>
    Bgr,

    /// <summary>One luminance channel (ITU-R BT.601 weights, as PIL's <c>convert("L")</c>).</summary>
    Gray,
}

/// <summary>
/// How calibration images become tensors; must match what the app does before inference, or the ranges measured are
/// the wrong ones. Each channel value is <c>(pixel * Scale - Mean[c]) / Std[c]</c> after a bilinear resize to
/// <see cref="Height"/> x <see cref="Width"/>.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Target height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Target width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Tensor layout.</summary>
    public ImageLayout Layout { get; init; } = ImageLayout.Nchw;

    /// <summary>Channel order.</summary>
    public ImageChannels Channels { get; init; } = ImageChannels.Rgb;

    /// <summary>Multiplier applied to 0..255 pixel values first (1/255 maps them to 0..1).</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean subtracted after scaling (one value applies to every channel).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f];

    /// <summary>Per-channel standard deviation divided by last (one value applies to every channel).</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f];

    /// <summary>Number of channels the tensor has.</summary>
    public int ChannelCount => Channels == ImageChannels.Gray ? 1 : 3;

    /// <summary>The tensor shape of one image: batch 1 in the configured layout.</summary>
    public long[] Shape => Layout == ImageLayout.Nchw ? [1, ChannelCount, Height, Width] : [1, Height, Width, ChannelCount];
}
