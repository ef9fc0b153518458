using Optimizer.Core.Diagnostics;
using Optimizer.Core.Profiles;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Config;

/// <summary>
/// Reads compression.yaml into a <see cref="CompressionConfig"/>, validating every key and value against the schema.
/// Errors carry the file, line and column, and unknown keys suggest the key that was probably meant.
/// </summary>
public static class ConfigLoader
{
    /// <summary>The schema version this tool reads.</summary>
    public const int SupportedVersion = 1;

    /// <summary>Loads and validates the file at <paramref name="path"/>.</summary>
    public static CompressionConfig Load(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new OptimizerException(ErrorCodes.ConfigNotFound, $"Configuration file '{fullPath}' does not exist.", fullPath);
        }

        return Parse(File.ReadAllText(fullPath), fullPath);
    }

    /// <summary>Parses YAML text; <paramref name="file"/> names it in errors and anchors relative paths.</summary>
    public static CompressionConfig Parse(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            var reason = ex.InnerException?.Message ?? ex.Message;
            throw new OptimizerException(ErrorCodes.ConfigSyntax, $"Invalid YAML: {reason}", file, (int)ex.Start.Line, (int)ex.Start.Column, ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode rootNode)
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue,
                "The configuration must be a YAML mapping starting with 'version: 1'.", file, 1, 1);
        }

        var root = new YamlSection(file, rootNode, "");
        root.AllowOnly("version", "calibration", "profiles", "budgets");
        if (!root.Has("version"))
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue, "Missing 'version: 1' at the top of the configuration.", file, 1, 1);
        }

        if (root.Integer("version", SupportedVersion, SupportedVersion) is null)
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue, "'version' must be 1.", file, 1, 1);
        }

        var directory = System.IO.Path.GetDirectoryName(file) ?? ".";
        return new CompressionConfig
        {
            SourceFile = file,
            Calibration = ReadCalibration(root.Section("calibration"), directory),
            Profiles = ReadProfiles(root.Section("profiles")),
            Budgets = ReadBudgets(root.Section("budgets")) ?? new BudgetSettings(),
        };
    }

    private static CalibrationSettings ReadCalibration(YamlSection? section, string directory)
    {
        if (section is null)
        {
            return new CalibrationSettings();
        }

        section.AllowOnly("data", "samples", "method", "percentile");
        var data = section.String("data");
        var defaults = new CalibrationSettings();
        return new CalibrationSettings
        {
            Method = section.OneOf("method", "minmax", "percentile") ?? defaults.Method,
            Percentile = section.Number("percentile", 50, 100) ?? defaults.Percentile,
            Data = data is null ? null : System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, data))),
            Samples = (int)(section.Integer("samples", 1, 100_000) ?? defaults.Samples),
        };
    }

    private static List<ProfileSettings> ReadProfiles(YamlSection? section)
    {
        if (section is null)
        {
            return [];
        }

        var profiles = new List<ProfileSettings>();
        foreach (var (name, location) in section.Keys)
        {
            var body = section.Section(name);
            profiles.Add(body is null
                ? new ProfileSettings { Name = name, Extends = BuiltInBase(name, null, location, section.File), DeclaredAt = location }
                : ReadProfile(name, body, location));
        }

        return profiles;
    }

    private static ProfileSettings ReadProfile(string name, YamlSection body, SourceLocation location)
    {
        body.AllowOnly("extends", "quantization", "float16", "budgets");
        var extends = BuiltInBase(name, body.OneOf("extends", BuiltInProfiles.Names.ToArray()), location, body.File);
        var quantization = body.Section("quantization");
        var float16 = body.Section("float16");
        var kind = BuiltInProfiles.Get(extends).Kind;
        if (quantization is not null && kind != ProfileKind.Int8)
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue,
                $"Profile '{name}' converts to float16; 'quantization' settings apply only to profiles based on cpu-int8.",
                body.File, quantization.Location.Line, quantization.Location.Column);
        }

        if (float16 is not null && kind != ProfileKind.Float16)
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue,
                $"Profile '{name}' quantizes to int8; 'float16' settings apply only to profiles based on gpu-fp16.",
                body.File, float16.Location.Line, float16.Location.Column);
        }

        return new ProfileSettings
        {
            Name = name,
            Extends = extends,
            DeclaredAt = location,
            Quantization = ReadQuantization(quantization),
            Float16 = ReadFloat16(float16),
            Budgets = ReadBudgets(body.Section("budgets")),
        };
    }

    private static string BuiltInBase(string name, string? extends, SourceLocation location, string file)
    {
        if (extends is not null)
        {
            return extends;
        }

        if (BuiltInProfiles.Names.Contains(name, StringComparer.Ordinal))
        {
            return name;
        }

        var hint = KeySuggestion.Closest(name, BuiltInProfiles.Names);
        throw new OptimizerException(ErrorCodes.UnknownProfile,
            $"Profile '{name}' is not built in ({string.Join(", ", BuiltInProfiles.Names)}) and has no 'extends:'." +
            (hint is null ? " Add 'extends: cpu-int8' or 'extends: gpu-fp16'." : $" Did you mean '{hint}'?"),
            file, location.Line, location.Column);
    }

    private static QuantizationSettings ReadQuantization(YamlSection? section)
    {
        if (section is null)
        {
            return new QuantizationSettings();
        }

        section.AllowOnly("per_channel", "activations", "exclude_ops", "exclude_nodes");
        return new QuantizationSettings
        {
            PerChannel = section.Bool("per_channel"),
            Activations = section.OneOf("activations", "uint8", "int8"),
            ExcludeOps = section.List("exclude_ops"),
            ExcludeNodes = section.List("exclude_nodes"),
        };
    }

    private static Float16Settings ReadFloat16(YamlSection? section)
    {
        if (section is null)
        {
            return new Float16Settings();
        }

        section.AllowOnly("keep_io_types", "block_ops", "block_nodes");
        return new Float16Settings
        {
            KeepIoTypes = section.Bool("keep_io_types"),
            BlockOps = section.List("block_ops"),
            BlockNodes = section.List("block_nodes"),
        };
    }

    private static BudgetSettings? ReadBudgets(YamlSection? section)
    {
        if (section is null)
        {
            return null;
        }

        section.AllowOnly("min_cosine", "max_size");
        return new BudgetSettings
        {
            MinCosine = section.Fraction("min_cosine"),
            MinCosineAt = section.Has("min_cosine") ? section.LocationOf("min_cosine") : null,
            MaxSizeBytes = section.Size("max_size"),
            MaxSizeAt = section.Has("max_size") ? section.LocationOf("max_size") : null,
        };
    }
}
