namespace Optimizer.EndToEnd.Tests.SampleAssets;

/// <summary>
/// A seeded generator (SplitMix64) whose output is the same on every runtime and CPU: the sample's committed files are
/// compared byte for byte with freshly generated ones, so neither <see cref="Random"/> (whose algorithm may change)
/// nor transcendental math (whose last bit may differ between CPUs) is used.
/// </summary>
internal sealed class DeterministicRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>Uniform in [0, 1).</summary>
    public float NextUniform()
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) / (float)(1UL << 24);
    }

    /// <summary>Roughly normal with mean 0 and standard deviation 1 (Irwin-Hall: sum of 12 uniforms minus 6).</summary>
    public float NextGaussian()
    {
        var sum = 0f;
        for (var i = 0; i < 12; i++)
        {
            sum += NextUniform();
        }

        return sum - 6f;
    }
}
