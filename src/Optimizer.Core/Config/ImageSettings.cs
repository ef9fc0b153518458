namespace Optimizer.Core.Config;

/// <summary>
/// The <c>calibration.images:</c> keys: how calibration images are turned into tensors. Unset values are derived
/// from the model's input (size from fixed dims, layout and channels from where a 1- or 3-sized axis is).
/// </summary>
public sealed record ImageSettings
{
    /// <summary>Where the section was written, for errors about it.</summary>
    public SourceLocation? DeclaredAt { get; init; }

    /// <summary>[height, width] in pixels.</summary>
    public IReadOnlyList<int>? Size { get; init; }

    /// <summary><c>nchw</c> or <c>nhwc</c>.</summary>
    public string? Layout { get; init; }

    /// <summary><c>rgb</c>, <c>bgr</c> or <c>gray</c>.</summary>
    public string? Channels { get; init; }

    /// <summary>Multiplier applied to 0..255 pixel values.</summary>
    public float? Scale { get; init; }

    /// <summary>Per-channel means subtracted after scaling.</summary>
    public IReadOnlyList<float>? Mean { get; init; }

    /// <summary>Per-channel standard deviations divided by last.</summary>
    public IReadOnlyList<float>? Std { get; init; }
}
