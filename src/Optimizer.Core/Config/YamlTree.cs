using Optimizer.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Config;

/// <summary>Loads configuration files into YAML trees and merges layers of them key by key.</summary>
public static class YamlTree
{
    /// <summary>
    /// Parses <paramref name="text"/> (after <see cref="YamlGuard"/> has vetted it) into its root mapping and records
    /// <paramref name="file"/> as the origin of every node. An empty document is an empty mapping.
    /// </summary>
    public static YamlMappingNode Load(string text, string file, NodeOrigins origins)
    {
        YamlGuard.Check(text, file);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw YamlGuard.SyntaxError(ex, file);
        }

        var root = stream.Documents.Count == 0
            ? new YamlMappingNode()
            : stream.Documents[0].RootNode as YamlMappingNode
              ?? throw new OptimizerException(ErrorCodes.ConfigInvalidValue,
                  "The configuration must be a YAML mapping starting with 'version: 1'.", file,
                  (int)stream.Documents[0].RootNode.Start.Line, (int)stream.Documents[0].RootNode.Start.Column);
        origins.Register(root, file);
        return root;
    }

    /// <summary>
    /// Merges <paramref name="overrides"/> into <paramref name="baseline"/>: mappings merge key by key (recursively),
    /// anything else in the override replaces the baseline's value. The override's nodes keep their marks and origins;
    /// keys only the baseline has are carried over with theirs.
    /// </summary>
    public static YamlMappingNode Merge(YamlMappingNode baseline, YamlMappingNode overrides)
    {
        foreach (var (key, value) in baseline.Children)
        {
            if (!overrides.Children.TryGetValue(key, out var replacement))
            {
                overrides.Children.Add(key, value);
            }
            else if (value is YamlMappingNode baseMapping && replacement is YamlMappingNode overrideMapping)
            {
                Merge(baseMapping, overrideMapping);
            }
        }

        return overrides;
    }
}
