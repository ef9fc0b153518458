namespace Optimizer.Core.Config;

/// <summary>Finds the known key a misspelled one was most likely meant to be, for "did you mean" hints.</summary>
public static class KeySuggestion
{
    /// <summary>The closest candidate within a small edit distance of <paramref name="typed"/>, or null.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        var normalized = typed.Replace('-', '_').ToLowerInvariant();
        return candidates
            .Select(c => (Candidate: c, Distance: EditDistance(normalized, c)))
            .Where(x => x.Distance <= Math.Max(2, x.Candidate.Length / 3))
            .OrderBy(x => x.Distance)
            .Select(x => x.Candidate)
            .FirstOrDefault();
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions each cost one.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
