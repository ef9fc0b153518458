using System.Globalization;
using System.Text;

namespace Optimizer.Core.Calibration;

/// <summary>
/// The header dictionary of a .npy file, e.g. <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (1, 3), }</c>.
/// numpy writes it with Python's <c>repr</c>, so it is parsed as the small Python literal subset repr produces
/// (strings, ints, booleans, tuples, lists, dicts) rather than with ad-hoc string matching that breaks on spacing.
/// </summary>
/// <param name="Descr">The dtype string, e.g. <c>&lt;f4</c>.</param>
/// <param name="FortranOrder">True when the data is stored column-major.</param>
/// <param name="Shape">The array's dimensions; empty for a scalar.</param>
internal sealed record NpyHeader(string Descr, bool FortranOrder, long[] Shape)
{
    /// <summary>Parses the header text; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static NpyHeader Parse(string text)
    {
        var parser = new LiteralParser(text);
        if (parser.ParseValue() is not Dictionary<string, object?> dict)
        {
            throw new FormatException("the header is not a Python dict");
        }

        parser.ExpectEnd();

        var descr = dict.GetValueOrDefault("descr") switch
        {
            string s => s,
            List<object?> => throw new FormatException("structured (record) dtypes are not supported; save a plain numeric array"),
            _ => throw new FormatException("the header has no 'descr' string"),
        };
        var fortran = dict.GetValueOrDefault("fortran_order") as bool?
            ?? throw new FormatException("the header has no 'fortran_order' boolean");
        if (dict.GetValueOrDefault("shape") is not List<object?> dims)
        {
            throw new FormatException("the header has no 'shape' tuple");
        }

        var shape = new long[dims.Count];
        for (var i = 0; i < dims.Count; i++)
        {
            shape[i] = dims[i] is long d && d >= 0 ? d : throw new FormatException($"shape entry {i} is not a non-negative integer");
        }

        return new NpyHeader(descr, fortran, shape);
    }

    /// <summary>The header text numpy's format version 1 writes for this header (before padding).</summary>
    public string ToPython()
    {
        var shape = Shape.Length == 1
            ? $"({Shape[0]},)"
            : $"({string.Join(", ", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))})";
        return $"{{'descr': '{Descr}', 'fortran_order': {(FortranOrder ? "True" : "False")}, 'shape': {shape}, }}";
    }

    private sealed class LiteralParser(string text)
    {
        private int _position;

        public object? ParseValue()
        {
            SkipSpace();
            if (_position >= text.Length)
            {
                throw new FormatException("the header ends early");
            }

            var c = text[_position];
            switch (c)
            {
                case '{':
                    return ParseDict();
                case '(':
                    return ParseSequence(')');
                case '[':
                    return ParseSequence(']');
                case '\'' or '"':
                    return ParseString();
                default:
                    if (char.IsDigit(c) || c == '-')
                    {
                        return ParseInteger();
                    }

                    var word = ParseWord();
                    return word switch
                    {
                        "True" => true,
                        "False" => false,
                        "None" => null,
                        _ => throw new FormatException($"unexpected '{word}' at offset {_position}"),
                    };
            }
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_position != text.Length)
            {
                throw new FormatException($"unexpected text after the dict at offset {_position}");
            }
        }

        private Dictionary<string, object?> ParseDict()
        {
            _position++;
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (!TryConsume('}'))
            {
                if (ParseValue() is not string key)
                {
                    throw new FormatException($"dict key at offset {_position} is not a string");
                }

                Expect(':');
                result[key] = ParseValue();
                if (!TryConsume(','))
                {
                    Expect('}');
                    break;
                }
            }

            return result;
        }

        private List<object?> ParseSequence(char close)
        {
            _position++;
            var result = new List<object?>();
            while (!TryConsume(close))
            {
                result.Add(ParseValue());
                if (!TryConsume(','))
                {
                    Expect(close);
                    break;
                }
            }

            return result;
        }

        private string ParseString()
        {
            var quote = text[_position++];
            var builder = new StringBuilder();
            while (_position < text.Length && text[_position] != quote)
            {
                // repr escapes only quotes and backslashes in the strings numpy writes; keep the escaped character.
                if (text[_position] == '\\' && _position + 1 < text.Length)
                {
                    _position++;
                }

                builder.Append(text[_position++]);
            }

            if (_position >= text.Length)
            {
                throw new FormatException("a string in the header is not closed");
            }

            _position++;
            return builder.ToString();
        }

        private long ParseInteger()
        {
            var start = _position;
            if (text[_position] == '-')
            {
                _position++;
            }

            while (_position < text.Length && char.IsDigit(text[_position]))
            {
                _position++;
            }

            var digits = text[start.._position];

            // Python 2 numpy wrote longs with an 'L' suffix, e.g. (3L, 4L).
            if (_position < text.Length && text[_position] is 'L' or 'l')
            {
                _position++;
            }

            return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new FormatException($"'{digits}' is not an integer");
        }

        private string ParseWord()
        {
            var start = _position;
            while (_position < text.Length && char.IsLetter(text[_position]))
            {
                _position++;
            }

            return _position > start ? text[start.._position] : text[start].ToString();
        }

        private void Expect(char expected)
        {
            if (!TryConsume(expected))
            {
                throw new FormatException($"expected '{expected}' at offset {_position}");
            }
        }

        private bool TryConsume(char expected)
        {
            SkipSpace();
            if (_position < text.Length && text[_position] == expected)
            {
                _position++;
                return true;
            }

            return false;
        }

        private void SkipSpace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }
    }
}
