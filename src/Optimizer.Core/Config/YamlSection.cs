using System.Globalization;
using Optimizer.Core.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Config;

/// <summary>
/// One YAML mapping of compression.yaml, read with its marks so every error names the file, line and column of the
/// offending key or value, and unknown keys get a "did you mean" hint instead of being silently ignored.
/// </summary>
internal sealed class YamlSection
{
    private readonly YamlMappingNode _node;

    public YamlSection(string file, YamlMappingNode node, string path)
    {
        File = file;
        _node = node;
        Path = path;
    }

    /// <summary>The YAML file.</summary>
    public string File { get; }

    /// <summary>Dotted path of this section for messages, e.g. <c>profiles.cpu-int8</c>.</summary>
    public string Path { get; }

    /// <summary>Where this section starts.</summary>
    public SourceLocation Location => At(_node);

    /// <summary>The keys in file order with their locations.</summary>
    public IEnumerable<(string Key, SourceLocation Location)> Keys =>
        _node.Children.Keys.Select(k => (((YamlScalarNode)k).Value ?? "", At(k)));

    /// <summary>Fails on the first key that is not in <paramref name="allowed"/>, suggesting the closest allowed key.</summary>
    public void AllowOnly(params string[] allowed)
    {
        foreach (var key in _node.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (name is not null && allowed.Contains(name, StringComparer.Ordinal))
            {
                continue;
            }

            var hint = name is null ? null : KeySuggestion.Closest(name, allowed);
            var suggestion = hint is null ? $"Allowed keys here: {string.Join(", ", allowed)}." : $"Did you mean '{hint}'?";
            throw Error(ErrorCodes.ConfigUnknownKey, key, $"Unknown key '{Qualified(name ?? key.ToString())}'. {suggestion}");
        }
    }

    public bool Has(string key) => _node.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>Where <paramref name="key"/>'s value is written.</summary>
    public SourceLocation LocationOf(string key) => At(Value(key)!);

    public YamlSection? Section(string key) => Value(key) switch
    {
        null => null,
        YamlMappingNode mapping => new YamlSection(File, mapping, Qualified(key)),
        YamlScalarNode { Value: null or "" } => null,
        var other => throw Error(ErrorCodes.ConfigInvalidValue, other, $"'{Qualified(key)}' must be a mapping of keys to values."),
    };

    public string? String(string key) => Value(key) switch
    {
        null => null,
        YamlScalarNode scalar => scalar.Value,
        var other => throw Error(ErrorCodes.ConfigInvalidValue, other, $"'{Qualified(key)}' must be a single value."),
    };

    public string? OneOf(string key, params string[] allowed)
    {
        var value = String(key);
        if (value is null || allowed.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        var hint = KeySuggestion.Closest(value, allowed);
        throw Error(ErrorCodes.ConfigInvalidValue, Value(key)!,
            $"'{Qualified(key)}' is '{value}'; expected one of {string.Join(", ", allowed)}.{(hint is null ? "" : $" Did you mean '{hint}'?")}");
    }

    public bool? Bool(string key) => String(key) switch
    {
        null => null,
        "true" or "True" or "yes" => true,
        "false" or "False" or "no" => false,
        var text => throw Error(ErrorCodes.ConfigInvalidValue, Value(key)!, $"'{Qualified(key)}' is '{text}'; expected true or false."),
    };

    public long? Integer(string key, long min, long max)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw Error(ErrorCodes.ConfigInvalidValue, Value(key)!, $"'{Qualified(key)}' is '{text}'; expected a whole number from {min} to {max}.");
        }

        return value;
    }

    public double? Number(string key, double min, double max)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw Error(ErrorCodes.ConfigInvalidValue, Value(key)!, $"'{Qualified(key)}' is '{text}'; expected a number from {min} to {max}.");
        }

        return value;
    }

    /// <summary>A fraction written as <c>0.99</c> or <c>99%</c>, between 0 and 1.</summary>
    public double? Fraction(string key)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        if (!ConfigValues.TryParseFraction(text, out var value))
        {
            throw Error(ErrorCodes.ConfigInvalidValue, Value(key)!, $"'{Qualified(key)}' is '{text}'; expected a number from 0 to 1 or a percentage such as 99%.");
        }

        return value;
    }

    /// <summary>A size written as <c>8 MB</c>, <c>512 KB</c> or a byte count.</summary>
    public long? Size(string key)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        if (!ConfigValues.TryParseSize(text, out var bytes))
        {
            throw Error(ErrorCodes.ConfigInvalidValue, Value(key)!, $"'{Qualified(key)}' is '{text}'; expected a size such as 8 MB, 512 KB or 8388608.");
        }

        return bytes;
    }

    public IReadOnlyList<string> List(string key) => Value(key) switch
    {
        null => [],
        YamlSequenceNode sequence => sequence.Children.Select(item => item is YamlScalarNode { Value: { } s }
            ? s
            : throw Error(ErrorCodes.ConfigInvalidValue, item, $"Items of '{Qualified(key)}' must be plain values.")).ToList(),
        YamlScalarNode { Value: { Length: > 0 } single } => [single],
        var other => throw Error(ErrorCodes.ConfigInvalidValue, other, $"'{Qualified(key)}' must be a list, e.g. [Conv, Gemm]."),
    };

    public OptimizerException Error(string code, YamlNode at, string message)
    {
        var location = At(at);
        return new OptimizerException(code, message, File, location.Line, location.Column);
    }

    private YamlNode? Value(string key) => _node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private string Qualified(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    private SourceLocation At(YamlNode node) => new(File, (int)node.Start.Line, (int)node.Start.Column);
}
