using Optimizer.Core.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Config;

/// <summary>
/// Turns <c>key.path=value</c> overrides (the CLI's <c>--set</c>, fed by csproj item metadata) into a YAML layer
/// that wins over every file. Values are parsed as YAML flow values, so lists work too: <c>quantization.exclude_ops=[Resize]</c>.
/// </summary>
public static class ConfigOverrides
{
    /// <summary>The origin name errors show for an override.</summary>
    public static string OriginOf(string assignment) => $"--set {assignment}";

    /// <summary>Builds the override layer; each value's origin is the assignment itself.</summary>
    public static YamlMappingNode ToLayer(IEnumerable<string> assignments, NodeOrigins origins)
    {
        var layer = new YamlMappingNode();
        origins.Register(layer, "--set");
        foreach (var assignment in assignments)
        {
            var separator = assignment.IndexOf('=', StringComparison.Ordinal);
            var path = separator > 0 ? assignment[..separator].Trim().Split('.') : [];
            if (path.Length == 0 || path.Any(string.IsNullOrWhiteSpace))
            {
                throw new OptimizerException(ErrorCodes.InvalidArguments,
                    $"'{assignment}' is not an override; write key.path=value, e.g. calibration.samples=64.");
            }

            origins.MarkWithoutPositions(OriginOf(assignment));
            var value = YamlTree.Load($"v: {assignment[(separator + 1)..]}", OriginOf(assignment), origins).Children[new YamlScalarNode("v")];
            var current = layer;
            foreach (var key in path[..^1])
            {
                if (!current.Children.TryGetValue(new YamlScalarNode(key), out var next) || next is not YamlMappingNode mapping)
                {
                    mapping = new YamlMappingNode();
                    var keyNode = new YamlScalarNode(key);
                    origins.Register(mapping, OriginOf(assignment));
                    origins.Register(keyNode, OriginOf(assignment));
                    current.Children[keyNode] = mapping;
                }

                current = mapping;
            }

            var leaf = new YamlScalarNode(path[^1]);
            origins.Register(leaf, OriginOf(assignment));
            current.Children[leaf] = value;
        }

        return layer;
    }
}
