using Optimizer.Core.Onnx.Proto;

namespace Optimizer.TestModels;

/// <summary>
/// A network with MobileNetV3-Small's real proportions (Howard et al. 2019, table 2, as torchvision builds it): a
/// 16-channel stride-2 stem with HardSwish, 11 inverted residual blocks with explicit expansion widths (72-576), 3x3
/// and 5x5 depthwise kernels, squeeze-and-excitation gates (HardSigmoid times the block) in 9 of them, Relu in the first
/// three and HardSwish after, a 1x1 Conv to 576, and a 1024-feature hidden Gemm with HardSwish before the 1000-class
/// head; random weights and un-folded BatchNorm as exports write them. 2.5 M parameters, most in the head and the
/// pointwise Convs.
/// </summary>
public static class MobileNetV3SmallModel
{
    /// <summary>Builds the network for square <paramref name="imageSize"/> inputs, HardSwish as x · HardSigmoid(x) below opset 14.</summary>
    public static ModelProto Create(int imageSize = 96, int classes = 1000, int opset = 11, int seed = 17)
    {
        InvertedResidualStage[] stages =
        [
            new(1, 16, 1, 2, Kernel: 3, SqueezeExcite: true, HiddenChannels: 16, PlainRelu: true),
            new(1, 24, 1, 2, Kernel: 3, HiddenChannels: 72, PlainRelu: true),
            new(1, 24, 1, 1, Kernel: 3, HiddenChannels: 88, PlainRelu: true),
            new(1, 40, 1, 2, HardSwish: true, Kernel: 5, SqueezeExcite: true, HiddenChannels: 96),
            new(1, 40, 2, 1, HardSwish: true, Kernel: 5, SqueezeExcite: true, HiddenChannels: 240),
            new(1, 48, 1, 1, HardSwish: true, Kernel: 5, SqueezeExcite: true, HiddenChannels: 120),
            new(1, 48, 1, 1, HardSwish: true, Kernel: 5, SqueezeExcite: true, HiddenChannels: 144),
            new(1, 96, 1, 2, HardSwish: true, Kernel: 5, SqueezeExcite: true, HiddenChannels: 288),
            new(1, 96, 2, 1, HardSwish: true, Kernel: 5, SqueezeExcite: true, HiddenChannels: 576),
        ];
        return DepthwiseNetModel.Create(stages, stemChannels: 16, lastChannels: 576, lastHardSwish: true, opset, classes, seed, imageSize,
            stemHardSwish: true, headHidden: 1024);
    }
}
