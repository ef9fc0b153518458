using Optimizer.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Optimizer.Core.Config;

/// <summary>
/// Refuses hostile or absurd YAML before it is loaded: anchors and aliases (billion-laughs expansion), custom tags
/// (type construction), deep nesting and huge files or scalars. compression.yaml never needs any of them, so refusing
/// them costs users nothing and keeps memory and time bounded whatever a repository contains.
/// </summary>
public static class YamlGuard
{
    /// <summary>Largest configuration file accepted.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Deepest nesting of mappings and sequences accepted.</summary>
    public const int MaxDepth = 32;

    /// <summary>Longest scalar accepted.</summary>
    public const int MaxScalarLength = 64 * 1024;

    // Only the YAML core schema's own tags (!!str, !!int, ...) are harmless; anything else asks a loader to build a type.
    private static readonly HashSet<string> CoreSchemaTags = new(StringComparer.Ordinal)
    {
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
    };

    /// <summary>Scans <paramref name="text"/> with the event parser and throws a coded error at the first refused construct.</summary>
    public static void Check(string text, string file)
    {
        if (text.Length > MaxBytes)
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue,
                $"The configuration is {text.Length} characters long; compression.yaml files are limited to {MaxBytes} characters.", file, 1, 1);
        }

        var parser = new Parser(new StringReader(text));
        var depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case AnchorAlias alias:
                        throw Refused(file, alias, $"Aliases ('*{alias.Value}') are not supported in compression.yaml; write the value out.");
                    case NodeEvent { Anchor.IsEmpty: false } anchored:
                        throw Refused(file, anchored, $"Anchors ('&{anchored.Anchor}') are not supported in compression.yaml; write the value out.");
                    case NodeEvent { Tag.IsEmpty: false } tagged when !CoreSchemaTags.Contains(tagged.Tag.Value):
                        throw Refused(file, tagged, $"Tags ('{tagged.Tag}') are not supported in compression.yaml.");
                    case Scalar { Value.Length: > MaxScalarLength } scalar:
                        throw Refused(file, scalar, $"A value of {scalar.Value.Length} characters is longer than the {MaxScalarLength} allowed.");
                    case MappingStart or SequenceStart when ++depth > MaxDepth:
                        throw Refused(file, parser.Current, $"The configuration nests deeper than {MaxDepth} levels.");
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (YamlException ex)
        {
            throw SyntaxError(ex, file);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner throws this instead of a YamlException on some malformed plain scalars (found by
            // FuzzTests); the last event parsed is the closest position we have.
            var at = parser.Current?.End;
            throw new OptimizerException(ErrorCodes.ConfigSyntax, "Invalid YAML: a value could not be scanned after this point.",
                file, (int)(at?.Line ?? 0), (int)(at?.Column ?? 0), ex);
        }
    }

    /// <summary>The coded syntax error for a YamlDotNet parse failure.</summary>
    public static OptimizerException SyntaxError(YamlException ex, string file) =>
        new(ErrorCodes.ConfigSyntax, $"Invalid YAML: {ex.InnerException?.Message ?? ex.Message}", file, (int)ex.Start.Line, (int)ex.Start.Column, ex);

    private static OptimizerException Refused(string file, ParsingEvent at, string message) =>
        new(ErrorCodes.ConfigInvalidValue, message, file, (int)at.Start.Line, (int)at.Start.Column);
}
