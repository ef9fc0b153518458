using System.Collections.Generic;
using System.Text;

namespace Optimizer.Build;

/// <summary>
/// Formats arguments as a response file for the CLI: one argument per line, paths always quoted, so spaces and
/// non-ASCII characters in paths survive (the file is written as UTF-8 without a byte-order mark).
/// </summary>
internal static class ResponseFile
{
    /// <summary>The response file text for <paramref name="arguments"/>.</summary>
    public static string Format(IEnumerable<CliArgument> arguments)
    {
        var text = new StringBuilder();
        foreach (var argument in arguments)
        {
            text.Append(argument.IsPath || NeedsQuotes(argument.Value) ? Quote(argument.Value) : argument.Value).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Wraps <paramref name="value"/> in double quotes.</summary>
    public static string Quote(string value) => "\"" + value + "\"";

    private static bool NeedsQuotes(string value) =>
        value.Length == 0 || value.IndexOfAny([' ', '\t', '"', '#', '@']) >= 0;
}
