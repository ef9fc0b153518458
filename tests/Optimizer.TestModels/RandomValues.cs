using Optimizer.Core.Onnx;

namespace Optimizer.TestModels;

/// <summary>Random weight values for model builders that shape their weights by hand.</summary>
public static class RandomValues
{
    /// <summary><paramref name="count"/> normally distributed values with standard deviation <paramref name="scale"/>.</summary>
    public static float[] Gaussian(Random random, int count, float scale) =>
        TensorValues.ReadFloats(ConvNetModel.RandomTensor(random, "values", [count], scale));
}
