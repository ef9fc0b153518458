namespace Optimizer.EndToEnd.Tests.SampleAssets;

/// <summary>
/// The sample's calibration inputs: synthetic 32x32 RGB "images" in [0, 1] made of smooth colour gradients, a bright
/// square and mild noise, so activations vary like real images do instead of being uniform noise.
/// </summary>
public static class SampleCalibrationImages
{
    /// <summary>How many samples the sample app ships.</summary>
    public const int Count = 16;

    /// <summary>Sample <paramref name="index"/> as a float [1, 3, 32, 32] array in C order.</summary>
    public static float[] Create(int index, ulong seed = 7)
    {
        var random = new DeterministicRandom(seed + (ulong)index * 1000003UL);
        const int size = 32;
        var image = new float[3 * size * size];
        var squareX = (int)(random.NextUniform() * 24);
        var squareY = (int)(random.NextUniform() * 24);
        for (var c = 0; c < 3; c++)
        {
            var baseLevel = random.NextUniform() * 0.5f;
            var gradX = (random.NextUniform() - 0.5f) / size;
            var gradY = (random.NextUniform() - 0.5f) / size;
            var squareLevel = random.NextUniform();
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    var inSquare = x >= squareX && x < squareX + 8 && y >= squareY && y < squareY + 8;
                    var value = inSquare ? squareLevel : baseLevel + gradX * x + gradY * y;
                    value += (random.NextUniform() - 0.5f) * 0.1f;
                    image[(c * size + y) * size + x] = Math.Clamp(value, 0f, 1f);
                }
            }
        }

        return image;
    }

    /// <summary>The file name of sample <paramref name="index"/> in the calibration folder.</summary>
    public static string FileName(int index) => $"sample_{index:D3}.npy";
}
