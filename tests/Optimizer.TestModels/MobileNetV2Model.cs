using Optimizer.Core.Onnx.Proto;

namespace Optimizer.TestModels;

/// <summary>
/// A network with MobileNetV2's real proportions (Sandler et al. 2018, table 2): a 32-channel stride-2 stem, 17 inverted
/// residual blocks with expansion 6 (the first 1) growing 16-24-32-64-96-160-320, a 1x1 Conv to 1280 and a 1000-class
/// head, Relu6 everywhere; random weights and un-folded BatchNorm as exports write them. Unlike the narrow test network
/// of <see cref="DepthwiseNetModel.Create(int, int, int, int, int)"/>, its cost and size are dominated by pointwise Convs.
/// </summary>
public static class MobileNetV2Model
{
    /// <summary>
    /// Builds the network with every width scaled by <paramref name="widthMultiplier"/> (rounded to a multiple of 8, at
    /// least 8, as the reference implementation does; the final 1280 is never narrowed) for square
    /// <paramref name="imageSize"/> inputs; <paramref name="weightsInConstants"/> puts the Conv weights in Constant nodes.
    /// </summary>
    public static ModelProto Create(int imageSize = 96, double widthMultiplier = 1.0, int classes = 1000, int opset = 11, int seed = 13,
        bool weightsInConstants = false)
    {
        int Width(int channels) => Math.Max(8, (int)Math.Round(channels * widthMultiplier / 8, MidpointRounding.AwayFromZero) * 8);
        InvertedResidualStage[] stages =
        [
            new(1, Width(16), 1, 1), new(6, Width(24), 2, 2), new(6, Width(32), 3, 2), new(6, Width(64), 4, 2),
            new(6, Width(96), 3, 1), new(6, Width(160), 3, 2), new(6, Width(320), 1, 1),
        ];
        return DepthwiseNetModel.Create(stages, Width(32), Math.Max(1280, Width(1280)), lastHardSwish: false, opset, classes, seed, imageSize, weightsInConstants);
    }
}
