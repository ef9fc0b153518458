using System.Text.Json;

namespace Optimizer.Core.Config;

/// <summary>
/// The JSON Schema of compression.yaml that ships with the tool (editors use it for completion and checking;
/// <c>optimizer config</c> and <c>optimizer init</c> read descriptions and defaults from it).
/// </summary>
public static class ConfigSchema
{
    /// <summary>File name of the schema beside the CLI and in the package.</summary>
    public const string FileName = "compression.schema.json";

    /// <summary>The schema text.</summary>
    public static string Text { get; } = ReadResource();

    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(Text));

    /// <summary>The schema node for a section path such as <c>profiles.*.quantization</c> ("" is the root), or null.</summary>
    public static JsonElement? Section(string path)
    {
        var node = Document.Value.RootElement;
        foreach (var segment in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = Resolve(node);
            if (segment == "*" && node.TryGetProperty("additionalProperties", out var any) && any.ValueKind == JsonValueKind.Object)
            {
                node = any;
            }
            else if (node.TryGetProperty("properties", out var properties) && properties.TryGetProperty(segment, out var child))
            {
                node = child;
            }
            else
            {
                return null;
            }
        }

        return Resolve(node);
    }

    /// <summary>The property names the schema allows in the section at <paramref name="path"/>.</summary>
    public static IReadOnlyList<string> Keys(string path) =>
        Section(path) is { } node && node.TryGetProperty("properties", out var properties)
            ? properties.EnumerateObject().Select(p => p.Name).ToList()
            : [];

    /// <summary>Replaces the profile name in a loader path with <c>*</c> (<c>profiles.edge.quantization</c> -> <c>profiles.*.quantization</c>).</summary>
    public static string Normalize(string path)
    {
        var segments = path.Split('.');
        if (segments.Length >= 2 && segments[0] == "profiles")
        {
            segments[1] = "*";
        }

        return string.Join('.', segments);
    }

    private static JsonElement Resolve(JsonElement node)
    {
        while (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("$ref", out var reference))
        {
            var target = Document.Value.RootElement;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/'))
            {
                target = target.GetProperty(part);
            }

            node = target;
        }

        return node;
    }

    private static string ReadResource()
    {
        using var stream = typeof(ConfigSchema).Assembly.GetManifestResourceStream(FileName)
            ?? throw new InvalidOperationException($"The {FileName} resource is missing from Optimizer.Core.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
