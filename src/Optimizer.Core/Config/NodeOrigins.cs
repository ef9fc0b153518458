using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Config;

/// <summary>
/// Which file (or command-line override) each YAML node came from. Layered configurations merge nodes of several
/// files into one tree; errors must still name the file a value was actually written in.
/// </summary>
public sealed class NodeOrigins
{
    private readonly Dictionary<YamlNode, string> _files = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _withoutPositions = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="file"/> as the origin of <paramref name="node"/> and everything below it.</summary>
    public void Register(YamlNode node, string file)
    {
        _files[node] = file;
        foreach (var child in node.AllNodes)
        {
            _files.TryAdd(child, file);
        }
    }

    /// <summary>Marks an origin (e.g. a <c>--set</c> override) whose line and column numbers mean nothing to the user.</summary>
    public void MarkWithoutPositions(string origin) => _withoutPositions.Add(origin);

    /// <summary>True when errors about nodes of <paramref name="origin"/> should show a line and column.</summary>
    public bool HasPositions(string origin) => !_withoutPositions.Contains(origin);

    /// <summary>The file <paramref name="node"/> came from.</summary>
    public string FileOf(YamlNode node) =>
        _files.TryGetValue(node, out var file) ? file : throw new InvalidOperationException("A configuration node has no recorded origin.");
}
