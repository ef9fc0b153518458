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
    private readonly NodeOrigins _origins;
    private readonly YamlMappingNode _node;

    public YamlSection(NodeOrigins origins, YamlMappingNode node, string path)
    {
        _origins = origins;
        _node = node;
        Path = path;
    }

    /// <summary>The file this section was written in (with layered files, the most specific one that has it).</summary>
    public string File => _origins.FileOf(_node);

    /// <summary>The underlying mapping, for merges that work on whole subtrees.</summary>
    public YamlMappingNode Node => _node;

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
        AllowedKeysRecorder.Record(Path, allowed);
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
        YamlMappingNode mapping => new YamlSection(_origins, mapping, Qualified(key)),
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

    /// <summary>A list of numbers, each between <paramref name="min"/> and <paramref name="max"/> (a single number is a list of one).</summary>
    public IReadOnlyList<double>? Numbers(string key, double min, double max)
    {
        if (!Has(key))
        {
            return null;
        }

        var items = Value(key) is YamlSequenceNode sequence ? sequence.Children : [Value(key)!];
        return items.Select(item => item is YamlScalarNode { Value: { } text }
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Error(ErrorCodes.ConfigInvalidValue, item, $"Items of '{Qualified(key)}' must be numbers from {min} to {max}.")).ToList();
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

    /// <summary>
    /// The absolute path a path-valued key names, resolved against the folder of the file the value was written in
    /// (so a folder-wide compression.yaml and a per-model file can each use paths relative to themselves).
    /// </summary>
    public string? FullPath(string key)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        var origin = _origins.FileOf(Value(key)!);
        var directory = _origins.HasPositions(origin) ? System.IO.Path.GetDirectoryName(origin) ?? "." : Environment.CurrentDirectory;
        return System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, text)));
    }

    public OptimizerException Error(string code, YamlNode at, string message)
    {
        var location = At(at);
        return new OptimizerException(code, message, location.File, location.Line, location.Column);
    }

    /// <summary>An error located at the value of <paramref name="key"/> (or at this section when the key is absent).</summary>
    public OptimizerException ErrorAt(string key, string code, string message) => Error(code, Value(key) ?? _node, message);

    private YamlNode? Value(string key) => _node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private string Qualified(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    private SourceLocation At(YamlNode node)
    {
        var file = _origins.FileOf(node);
        return _origins.HasPositions(file) ? new(file, (int)node.Start.Line, (int)node.Start.Column) : new(file, 0, 0);
    }
}
