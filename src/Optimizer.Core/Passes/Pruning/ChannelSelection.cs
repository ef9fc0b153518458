namespace Optimizer.Core.Passes.Pruning;

/// <summary>Turns importance scores and a ratio into the channels a group keeps.</summary>
internal static class ChannelSelection
{
    /// <summary>
    /// How many of <paramref name="channels"/> a ratio removes. When the group has a multiple of
    /// <paramref name="multiple"/> channels, the kept count is rounded to a multiple of it too (ONNX Runtime's CPU
    /// convolutions work on blocks of 8 channels; odd counts measured slower than the unpruned layer). A group always
    /// keeps at least one channel (or one block).
    /// </summary>
    public static int Removed(int channels, double ratio, int multiple)
    {
        var kept = channels - (int)Math.Round(ratio * channels, MidpointRounding.AwayFromZero);
        if (multiple > 1 && channels % multiple == 0 && kept < channels)
        {
            kept = Math.Max(multiple, (int)Math.Round(kept / (double)multiple, MidpointRounding.AwayFromZero) * multiple);
        }

        return channels - Math.Max(1, kept);
    }

    /// <summary>The most important channels surviving <paramref name="ratio"/>, ascending (ties keep the lower index).</summary>
    public static int[] Keep(double[] scores, double ratio, int multiple)
    {
        var keep = scores.Length - Removed(scores.Length, ratio, multiple);
        return Enumerable.Range(0, scores.Length)
            .OrderByDescending(c => scores[c]).ThenBy(c => c)
            .Take(keep).Order().ToArray();
    }
}
