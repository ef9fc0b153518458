namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Chooses per-group pruning ratios from a sensitivity table: greedily takes the next ratio step that costs the least
/// cosine per channel removed, never a step whose cosine (group pruned alone) falls below the floor, until the target
/// share of all prunable channels is removed or no allowed step remains.
/// </summary>
internal static class RatioSchedule
{
    /// <summary>The ratio for each row of <paramref name="table"/> (0 = not pruned).</summary>
    public static double[] Choose(SensitivityTable table, double sparsity, double floor, int multiple)
    {
        var rows = table.Rows;
        var steps = new int[rows.Count];
        var target = (int)Math.Round(sparsity * rows.Sum(r => r.Channels));
        var removed = 0;
        while (removed < target)
        {
            var best = -1;
            var bestCost = double.MaxValue;
            for (var i = 0; i < rows.Count; i++)
            {
                if (steps[i] >= table.Ratios.Count || rows[i].Cosines[steps[i]] < floor)
                {
                    continue;
                }

                var gain = Removed(table, multiple, rows[i], steps[i] + 1) - Removed(table, multiple, rows[i], steps[i]);
                var before = steps[i] == 0 ? 1 : rows[i].Cosines[steps[i] - 1];
                var cost = Math.Max(0, before - rows[i].Cosines[steps[i]]) / Math.Max(1, gain);
                if (cost < bestCost)
                {
                    best = i;
                    bestCost = cost;
                }
            }

            if (best < 0)
            {
                break;
            }

            var step = Removed(table, multiple, rows[best], steps[best] + 1) - Removed(table, multiple, rows[best], steps[best]);
            steps[best]++;
            if (removed + step > target)
            {
                // The last step goes only part of the way, so the total lands on the target instead of overshooting.
                var ratios = Ratios(table, steps);
                ratios[best] = (Removed(table, multiple, rows[best], steps[best] - 1) + target - removed) / (double)rows[best].Channels;
                return ratios;
            }

            removed += step;
        }

        return Ratios(table, steps);
    }

    private static double[] Ratios(SensitivityTable table, int[] steps) => steps.Select(s => s == 0 ? 0 : table.Ratios[s - 1]).ToArray();

    private static int Removed(SensitivityTable table, int multiple, SensitivityRow row, int step) =>
        step == 0 ? 0 : ChannelSelection.Removed(row.Channels, table.Ratios[step - 1], multiple);
}
