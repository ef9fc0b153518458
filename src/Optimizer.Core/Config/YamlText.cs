using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Config;

/// <summary>Formats values as one-line YAML, for the configuration files and listings the tool writes.</summary>
internal static class YamlText
{
    /// <summary>A YAML node in flow style (<c>[a, b]</c>, <c>{k: v}</c>, or the scalar itself).</summary>
    public static string Flow(YamlNode node) => node switch
    {
        YamlScalarNode scalar => scalar.Value ?? "null",
        YamlSequenceNode sequence => $"[{string.Join(", ", sequence.Children.Select(Flow))}]",
        YamlMappingNode mapping => $"{{{string.Join(", ", mapping.Children.Select(c => $"{Flow(c.Key)}: {Flow(c.Value)}"))}}}",
        _ => node.ToString(),
    };

    /// <summary>A JSON value (a schema default or example) as YAML: JSON is already valid YAML flow, except strings need no quotes when plain.</summary>
    public static string Flow(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array => $"[{string.Join(", ", value.EnumerateArray().Select(Flow))}]",
        _ => value.GetRawText(),
    };
}
