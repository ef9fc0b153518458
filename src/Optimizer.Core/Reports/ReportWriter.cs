using System.Text.Json;
using System.Text.Json.Serialization;
using Optimizer.Core.Onnx;

namespace Optimizer.Core.Reports;

/// <summary>Writes reports as indented JSON (camelCase), atomically like every other output.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes <paramref name="report"/> to <paramref name="path"/>.</summary>
    public static void Write(CompressionReport report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(Path.GetFullPath(path), stream => JsonSerializer.Serialize(stream, report, Options));
    }

    /// <summary>Reads a report written by <see cref="Write"/>.</summary>
    public static CompressionReport Read(string path) =>
        JsonSerializer.Deserialize<CompressionReport>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"'{path}' holds no report.");
}
