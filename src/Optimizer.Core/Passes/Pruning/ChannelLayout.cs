namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// A run of <see cref="Channels"/> channels of one channel group along a tensor's channel axis; each channel spans
/// <see cref="Inner"/> consecutive positions (1, or H x W after a Flatten of a feature map).
/// </summary>
internal sealed record ChannelSegment(int Group, int Channels, long Inner);

/// <summary>
/// Which channel groups a tensor's channel axis is made of, in order: one segment for a Conv output, several after a
/// Concat. Pruning a group removes the same positions from every tensor whose layout mentions it.
/// </summary>
internal sealed record ChannelLayout(IReadOnlyList<ChannelSegment> Segments, int Axis, int Rank)
{
    /// <summary>A layout of one whole group on <paramref name="axis"/>.</summary>
    public static ChannelLayout Single(int group, int channels, int axis, int rank) => new([new ChannelSegment(group, channels, 1)], axis, rank);

    /// <summary>The axis length this layout describes.</summary>
    public long Length => Segments.Sum(s => s.Channels * s.Inner);

    /// <summary>True when no segment spans several positions per channel (no Flatten of a feature map in between).</summary>
    public bool IsPlain => Segments.All(s => s.Inner == 1);

    /// <summary>The groups this layout mentions.</summary>
    public IEnumerable<int> Groups => Segments.Select(s => s.Group);

    /// <summary>The same layout on a tensor of rank <paramref name="rank"/> (broadcasting prepends axes).</summary>
    public ChannelLayout Broadcast(int rank) => rank <= Rank ? this : this with { Axis = Axis + rank - Rank, Rank = rank };

    /// <summary>True when both layouts have the same segment sizes at the same position from the end.</summary>
    public bool SameShape(ChannelLayout other) =>
        Rank - Axis == other.Rank - other.Axis && Segments.Count == other.Segments.Count
        && Segments.Zip(other.Segments).All(p => p.First.Channels == p.Second.Channels && p.First.Inner == p.Second.Inner);

    /// <summary>
    /// The positions along the axis that survive when each group keeps the channels <paramref name="kept"/> gives it
    /// (a group absent from <paramref name="kept"/> keeps all), ascending.
    /// </summary>
    public int[] KeptPositions(IReadOnlyDictionary<int, int[]> kept)
    {
        var positions = new List<int>();
        long offset = 0;
        foreach (var segment in Segments)
        {
            var channels = kept.TryGetValue(segment.Group, out var k) ? k : Enumerable.Range(0, segment.Channels).ToArray();
            foreach (var channel in channels)
            {
                for (var i = 0L; i < segment.Inner; i++)
                {
                    positions.Add(checked((int)(offset + channel * segment.Inner + i)));
                }
            }

            offset += segment.Channels * segment.Inner;
        }

        return positions.ToArray();
    }
}
