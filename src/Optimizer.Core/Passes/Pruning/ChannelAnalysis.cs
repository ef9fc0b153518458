using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>Why a tensor is edited when channels are removed.</summary>
internal enum ChannelEditRole
{
    /// <summary>A producer's weight or bias along its output channels.</summary>
    Output,

    /// <summary>A consumer's weight along its input channels (the layer output reconstruction refits).</summary>
    Input,

    /// <summary>A per-channel parameter riding along (BatchNormalization, depthwise Conv, per-channel constants).</summary>
    Parameter,
}

/// <summary>One initializer to slice along <see cref="Axis"/> by the kept positions of <see cref="Layout"/>.</summary>
internal sealed record ChannelEdit(NodeProto Node, string Tensor, int Axis, ChannelLayout Layout, ChannelEditRole Role);

/// <summary>A weight whose slices along <see cref="Axis"/> are a group's channels (used to score importance).</summary>
internal sealed record ChannelSource(NodeProto Node, string Weight, int Axis);

/// <summary>
/// The result of tracing channels through the main graph: groups of channels that must be pruned together (a
/// residual Add ties its branches into one group), every initializer edit removing a group's channels implies, and
/// the reasons some groups must stay intact. Group ids in layouts and edits are raw ids; <see cref="Root"/> maps them
/// to the group they were merged into.
/// </summary>
internal sealed class ChannelAnalysis
{
    private readonly int[] _parent;

    public ChannelAnalysis(
        int[] parent,
        IReadOnlyList<int> channels,
        IReadOnlyList<ChannelEdit> edits,
        IReadOnlyList<(NodeProto Node, ChannelLayout Layout)> groupAttributes,
        IReadOnlyDictionary<string, ChannelLayout> layouts,
        IReadOnlyDictionary<int, List<ChannelSource>> sources,
        IReadOnlyDictionary<int, List<string>> blocked)
    {
        _parent = parent;
        Channels = channels;
        Edits = edits;
        GroupAttributes = groupAttributes;
        Layouts = layouts;
        Sources = sources;
        Blocked = blocked;
    }

    /// <summary>Channel count of each raw group id.</summary>
    public IReadOnlyList<int> Channels { get; }

    /// <summary>Every initializer edit, in graph order.</summary>
    public IReadOnlyList<ChannelEdit> Edits { get; }

    /// <summary>Depthwise Convs whose <c>group</c> attribute becomes their input's kept channel count.</summary>
    public IReadOnlyList<(NodeProto Node, ChannelLayout Layout)> GroupAttributes { get; }

    /// <summary>The channel layout of every traced tensor.</summary>
    public IReadOnlyDictionary<string, ChannelLayout> Layouts { get; }

    /// <summary>Producer weights of each root group.</summary>
    public IReadOnlyDictionary<int, List<ChannelSource>> Sources { get; }

    /// <summary>Why each blocked root group must keep all its channels.</summary>
    public IReadOnlyDictionary<int, List<string>> Blocked { get; }

    /// <summary>The root group <paramref name="group"/> was merged into.</summary>
    public int Root(int group)
    {
        while (_parent[group] != group)
        {
            group = _parent[group];
        }

        return group;
    }

    /// <summary>Root groups that may be pruned, in creation (graph) order.</summary>
    public IReadOnlyList<int> PrunableGroups =>
        Enumerable.Range(0, _parent.Length).Where(g => Root(g) == g && !Blocked.ContainsKey(g) && Sources.ContainsKey(g)).ToList();

    /// <summary>A readable name for a root group: its producers, e.g. <c>conv0+conv2</c>.</summary>
    public string Name(int root) => Sources.TryGetValue(root, out var s) ? string.Join("+", s.Select(x => x.Node.Name).Distinct()) : $"group{root}";

    /// <summary>Expands kept channels per root group to every raw group id, as layouts need.</summary>
    public Dictionary<int, int[]> ForAllIds(IReadOnlyDictionary<int, int[]> keptByRoot)
    {
        var result = new Dictionary<int, int[]>();
        for (var id = 0; id < _parent.Length; id++)
        {
            if (keptByRoot.TryGetValue(Root(id), out var kept))
            {
                result[id] = kept;
            }
        }

        return result;
    }
}
