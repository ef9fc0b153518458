using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Stores sensitivity tables on disk under a hash of everything they depend on (the model's bytes, the criterion, the
/// channel multiple, reconstruction, the exclusions, the ratios and the calibration samples), so an unchanged model is not analysed again on the next build.
/// A missing, unreadable or stale file is simply recomputed.
/// </summary>
internal sealed class SensitivityCache(string directory)
{
    /// <summary>The cache file for one analysis.</summary>
    public string PathFor(string key) => System.IO.Path.Combine(directory, $"sensitivity-{key}.json");

    /// <summary>The key of an analysis of <paramref name="model"/> with these settings and samples.</summary>
    public static string Key(ModelProto model, PruningOptions options, IReadOnlyList<CalibrationSample> samples)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(ModelFile.ToBytes(model));
        var settings = $"v2|{options.Criterion}|{options.ChannelMultiple}|{options.SensitivityReconstruction}|{string.Join(",", options.Exclude)}|{string.Join(",", SensitivityTable.DefaultRatios)}";
        hash.AppendData(Encoding.UTF8.GetBytes(settings));
        foreach (var input in samples.SelectMany(s => s.Inputs))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"|{input.Name}:{input.ElementType}:{string.Join("x", input.Shape)}|"));
            hash.AppendData(Bytes(input.Data));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The cached table, or null when there is none that can be read.</summary>
    public SensitivityTable? Load(string key)
    {
        try
        {
            return File.Exists(PathFor(key)) ? JsonSerializer.Deserialize<SensitivityTable>(File.ReadAllText(PathFor(key))) : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Saves <paramref name="table"/>; a cache that cannot be written costs time on the next build, nothing else.</summary>
    public bool Save(string key, SensitivityTable table)
    {
        try
        {
            Directory.CreateDirectory(directory);
            AtomicFile.Write(PathFor(key), stream => JsonSerializer.Serialize(stream, table));
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static ReadOnlySpan<byte> Bytes(Array data) => data switch
    {
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        Half[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        byte[] a => a,
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        bool[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new ArgumentException($"Unsupported calibration array type {data.GetType()}.", nameof(data)),
    };
}
