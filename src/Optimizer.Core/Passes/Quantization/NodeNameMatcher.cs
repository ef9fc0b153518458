using System.Text.RegularExpressions;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>Matches node names against exact names and simple globs (<c>*</c> any run of characters, <c>?</c> one character).</summary>
internal sealed class NodeNameMatcher
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly List<Regex> _globs = [];

    public NodeNameMatcher(IEnumerable<string> patterns)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.Contains('*') || pattern.Contains('?'))
            {
                var regex = "^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$";
                _globs.Add(new Regex(regex, RegexOptions.CultureInvariant | RegexOptions.Singleline));
            }
            else
            {
                _exact.Add(pattern);
            }
        }
    }

    public bool IsMatch(string name) => _exact.Contains(name) || _globs.Any(g => g.IsMatch(name));
}
