using System.Text;
using System.Text.Json;
using Optimizer.Core.Profiles;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Config;

/// <summary>
/// Renders the configuration that applies to a model after layering, inheritance and overrides, as YAML in which
/// every value says where it came from (<c># compression.yaml:4</c>, <c># --set ...</c> or <c># default</c>).
/// This is what <c>optimizer config MODEL</c> prints.
/// </summary>
public static class EffectiveConfigWriter
{
    /// <summary>The effective configuration of <paramref name="modelPath"/>.</summary>
    public static string Write(string modelPath, string? explicitPath, IReadOnlyList<string> overrides)
    {
        var layers = ConfigLocator.FindLayers(modelPath, explicitPath);
        var (config, tree, origins) = ConfigLoader.LoadLayersWithTree(layers, overrides);
        var text = new StringBuilder();
        text.AppendLine($"# Effective configuration for {Path.GetFullPath(modelPath)}");
        text.AppendLine(layers.Count == 0
            ? "# No compression.yaml applies: built-in defaults."
            : $"# Layers, later wins: {string.Join(", ", layers)}");
        foreach (var assignment in overrides)
        {
            text.AppendLine($"# Override: --set {assignment}");
        }

        var writer = new SectionWriter(text, origins);
        writer.Write("", tree, 0, key => key != "profiles");
        text.AppendLine("profiles:");
        var declared = tree.Children.TryGetValue(new YamlScalarNode("profiles"), out var node) ? node as YamlMappingNode : null;
        foreach (var profile in ProfileResolver.Resolve(config, []))
        {
            var body = declared?.Children.TryGetValue(new YamlScalarNode(profile.Name), out var b) == true ? b as YamlMappingNode : null;
            text.AppendLine($"  {profile.Name}:  # {(body is null ? "built in" : $"based on {profile.Base.Name}")}");
            var kindSection = profile.Base.Kind == ProfileKind.Int8 ? "quantization" : "float16";
            writer.Write("profiles.*", body, 4, key => key != "extends" && key is not ("quantization" or "float16") || key == kindSection);
        }

        return text.ToString();
    }

    private sealed class SectionWriter(StringBuilder text, NodeOrigins origins)
    {
        public void Write(string path, YamlMappingNode? values, int indent, Func<string, bool> include)
        {
            var pad = new string(' ', indent);
            foreach (var key in ConfigSchema.Keys(path).Where(include))
            {
                var childPath = path.Length == 0 ? key : $"{path}.{key}";
                var schema = ConfigSchema.Section(childPath);
                var value = values?.Children.TryGetValue(new YamlScalarNode(key), out var v) == true ? v : null;
                if (schema is { } s && s.TryGetProperty("properties", out _))
                {
                    var nested = new StringBuilder();
                    new SectionWriter(nested, origins).Write(childPath, value as YamlMappingNode, indent + 2, _ => true);
                    if (nested.Length > 0)
                    {
                        text.Append(pad).Append(key).AppendLine(":").Append(nested);
                    }
                }
                else if (value is not null)
                {
                    text.AppendLine($"{pad}{key}: {YamlText.Flow(value)}  # {Origin(value)}");
                }
                else if (schema is { } d && d.TryGetProperty("default", out var fallback))
                {
                    text.AppendLine($"{pad}{key}: {YamlText.Flow(fallback)}  # default");
                }
            }
        }

        private string Origin(YamlNode node)
        {
            var file = origins.FileOf(node);
            return origins.HasPositions(file) ? $"{Path.GetFileName(file)}:{node.Start.Line}" : file;
        }
    }
}
