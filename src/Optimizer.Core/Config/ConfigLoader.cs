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
    public static CompressionConfig Load(string path) => LoadLayers([path], []);

    /// <summary>
    /// Loads configuration layers: each file overrides the ones before it key by key (a folder-wide compression.yaml,
    /// then net.compression.yaml), and <paramref name="overrides"/> (<c>key.path=value</c>) win over all files.
    /// </summary>
    public static CompressionConfig LoadLayers(IReadOnlyList<string> files, IReadOnlyList<string> overrides) =>
        LoadLayersWithTree(files, overrides).Config;

    /// <summary>
    /// Like <see cref="LoadLayers"/>, and also returns the merged YAML tree (profiles with their inherited settings)
    /// and where each node came from, for commands that show the effective configuration.
    /// </summary>
    public static (CompressionConfig Config, YamlMappingNode Tree, NodeOrigins Origins) LoadLayersWithTree(
        IReadOnlyList<string> files, IReadOnlyList<string> overrides)
    {
        var origins = new NodeOrigins();
        var merged = new YamlMappingNode();
        origins.Register(merged, files.Count > 0 ? System.IO.Path.GetFullPath(files[^1]) : "--set");
        var fullPaths = new List<string>();
        foreach (var path in files)
        {
            var fullPath = System.IO.Path.GetFullPath(path);
            if (!File.Exists(fullPath))
            {
                throw new OptimizerException(ErrorCodes.ConfigNotFound, $"Configuration file '{fullPath}' does not exist.", fullPath);
            }

            merged = YamlTree.Merge(merged, YamlTree.Load(File.ReadAllText(fullPath), fullPath, origins));
            fullPaths.Add(fullPath);
        }

        if (overrides.Count > 0)
        {
            merged = YamlTree.Merge(merged, ConfigOverrides.ToLayer(overrides, origins));
        }

        return (FromTree(merged, origins, fullPaths, requireVersion: files.Count > 0), merged, origins);
    }

    /// <summary>Parses YAML text; <paramref name="file"/> names it in errors and anchors relative paths.</summary>
    public static CompressionConfig Parse(string text, string file)
    {
        var origins = new NodeOrigins();
        return FromTree(YamlTree.Load(text, file, origins), origins, [file], requireVersion: true);
    }

    private static CompressionConfig FromTree(YamlMappingNode rootNode, NodeOrigins origins, IReadOnlyList<string> files, bool requireVersion)
    {
        var file = files.Count > 0 ? files[^1] : "--set";
        var root = new YamlSection(origins, rootNode, "");
        root.AllowOnly("version", "calibration", "profiles", "budgets", "pruning");
        if (requireVersion && !root.Has("version"))
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue, "Missing 'version: 1' at the top of the configuration.", file, 1, 1);
        }

        if (requireVersion && root.Integer("version", SupportedVersion, SupportedVersion) is null)
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue, "'version' must be 1.", file, 1, 1);
        }

        return new CompressionConfig
        {
            SourceFile = files.Count > 0 ? file : null,
            SourceFiles = files,
            Calibration = ReadCalibration(root.Section("calibration")),
            Profiles = ReadProfiles(root.Section("profiles")),
            Budgets = ReadBudgets(root.Section("budgets")) ?? new BudgetSettings(),
            Pruning = ReadPruning(root.Section("pruning")),
        };
    }

    private static CalibrationSettings ReadCalibration(YamlSection? section)
    {
        if (section is null)
        {
            return new CalibrationSettings();
        }

        section.AllowOnly("data", "validation_data", "samples", "method", "percentile", "images");
        var defaults = new CalibrationSettings();
        return new CalibrationSettings
        {
            Method = section.OneOf("method", "minmax", "percentile", "entropy", "mse") ?? defaults.Method,
            Percentile = section.Number("percentile", 50, 100) ?? defaults.Percentile,
            Data = section.FullPath("data"),
            DataAt = section.Has("data") ? section.LocationOf("data") : null,
            ValidationData = section.FullPath("validation_data"),
            ValidationDataAt = section.Has("validation_data") ? section.LocationOf("validation_data") : null,
            Images = ReadImages(section.Section("images")),
            Samples = (int)(section.Integer("samples", 1, 100_000) ?? defaults.Samples),
        };
    }

    private static ImageSettings? ReadImages(YamlSection? section)
    {
        if (section is null)
        {
            return null;
        }

        section.AllowOnly("size", "layout", "channels", "scale", "mean", "std");
        var size = section.Numbers("size", 1, 16384);
        if (size is not null && size.Count != 2)
        {
            throw section.ErrorAt("size", ErrorCodes.ConfigInvalidValue, "'calibration.images.size' must be [height, width], e.g. [224, 224].");
        }

        var std = section.Numbers("std", float.Epsilon, float.MaxValue);
        return new ImageSettings
        {
            DeclaredAt = section.Location,
            Size = size?.Select(v => (int)v).ToList(),
            Layout = section.OneOf("layout", "nchw", "nhwc"),
            Channels = section.OneOf("channels", "rgb", "bgr", "gray"),
            Scale = (float?)section.Number("scale", float.Epsilon, float.MaxValue),
            Mean = section.Numbers("mean", float.MinValue, float.MaxValue)?.Select(v => (float)v).ToList(),
            Std = std?.Select(v => (float)v).ToList(),
        };
    }

    private static List<ProfileSettings> ReadProfiles(YamlSection? section) =>
        section is null ? [] : ProfileInheritance.Resolve(section).Select(ReadProfile).ToList();

    private static ProfileSettings ReadProfile(ProfileInheritance.InheritedProfile profile)
    {
        var body = profile.Body;
        if (body is null)
        {
            return new ProfileSettings { Name = profile.Name, Extends = profile.BuiltInBase, DeclaredAt = profile.DeclaredAt };
        }

        var name = profile.Name;
        body.AllowOnly("extends", "quantization", "float16", "budgets", "pruning");
        var quantization = body.Section("quantization");
        var float16 = body.Section("float16");
        var kind = BuiltInProfiles.Get(profile.BuiltInBase).Kind;
        if (quantization is not null && kind != ProfileKind.Int8)
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue,
                $"Profile '{name}' converts to float16; 'quantization' settings apply only to profiles based on cpu-int8.",
                quantization.File, quantization.Location.Line, quantization.Location.Column);
        }

        if (float16 is not null && kind != ProfileKind.Float16)
        {
            throw new OptimizerException(ErrorCodes.ConfigInvalidValue,
                $"Profile '{name}' quantizes to int8; 'float16' settings apply only to profiles based on gpu-fp16.",
                float16.File, float16.Location.Line, float16.Location.Column);
        }

        return new ProfileSettings
        {
            Name = name,
            Extends = profile.BuiltInBase,
            DeclaredAt = profile.DeclaredAt,
            Quantization = ReadQuantization(quantization),
            Float16 = ReadFloat16(float16),
            Budgets = ReadBudgets(body.Section("budgets")),
            Pruning = ReadPruning(body.Section("pruning")),
        };
    }

    private static QuantizationSettings ReadQuantization(YamlSection? section)
    {
        if (section is null)
        {
            return new QuantizationSettings();
        }

        section.AllowOnly("per_channel", "activations", "exclude_ops", "exclude_nodes", "mode", "bias_correction", "reduce_range", "block_size", "int4_symmetric",
            "max_fallback_fraction");
        return new QuantizationSettings
        {
            PerChannel = section.Bool("per_channel"),
            Activations = section.OneOf("activations", "uint8", "int8", "int8_symmetric"),
            ExcludeOps = section.List("exclude_ops"),
            ExcludeNodes = section.List("exclude_nodes"),
            Mode = section.OneOf("mode", "static", "dynamic", "weight_only_int4"),
            BiasCorrection = section.Bool("bias_correction"),
            ReduceRange = section.Bool("reduce_range"),
            // MatMulNBits needs a power of two of at least 16; beyond 256 one scale spans too much of a row to be useful.
            BlockSize = section.OneOf("block_size", "16", "32", "64", "128", "256") is { } blockSize ? int.Parse(blockSize, System.Globalization.CultureInfo.InvariantCulture) : null,
            Int4Symmetric = section.Bool("int4_symmetric"),
            MaxFallbackFraction = section.Fraction("max_fallback_fraction"),
        };
    }

    private static Float16Settings ReadFloat16(YamlSection? section)
    {
        if (section is null)
        {
            return new Float16Settings();
        }

        section.AllowOnly("keep_io_types", "block_ops", "block_nodes", "precision", "protect_overflow", "kept_weight_tolerance");
        return new Float16Settings
        {
            KeepIoTypes = section.Bool("keep_io_types"),
            BlockOps = section.List("block_ops"),
            BlockNodes = section.List("block_nodes"),
            Precision = section.OneOf("precision", "float16", "bfloat16"),
            ProtectOverflow = section.Bool("protect_overflow"),
            KeptWeightTolerance = section.Number("kept_weight_tolerance", 0, 1),
        };
    }

    private static PruningSettings? ReadPruning(YamlSection? section)
    {
        if (section is null)
        {
            return null;
        }

        section.AllowOnly("method", "sparsity", "criterion", "schedule", "scope", "exclude", "reconstruction", "samples", "channel_multiple", "min_layer_cosine",
            "sensitivity_reconstruction");
        var sparsity = section.Fraction("sparsity");
        if (sparsity > PruningSettings.MaxSparsity)
        {
            // Removing (nearly) everything is never what a build wants; it would also leave layers with no weights.
            throw section.ErrorAt("sparsity", ErrorCodes.ConfigInvalidValue,
                $"'{section.Path}.sparsity' is {sparsity}; expected a fraction from 0 to {PruningSettings.MaxSparsity} (e.g. 0.5 or 50%).");
        }

        return new PruningSettings
        {
            Method = section.OneOf("method", "magnitude", "channel"),
            Sparsity = sparsity,
            Criterion = section.OneOf("criterion", "l1", "l2", "apoz"),
            Schedule = section.OneOf("schedule", "uniform", "sensitivity"),
            Scope = section.OneOf("scope", "layer", "global"),
            Exclude = section.Has("exclude") ? section.List("exclude") : null,
            Reconstruction = section.Bool("reconstruction"),
            Samples = section.Integer("samples", 1, 1024),
            ChannelMultiple = section.Integer("channel_multiple", 1, 64),
            MinLayerCosine = section.Fraction("min_layer_cosine"),
            SensitivityReconstruction = section.Bool("sensitivity_reconstruction"),
        };
    }

    private static BudgetSettings? ReadBudgets(YamlSection? section)
    {
        if (section is null)
        {
            return null;
        }

        section.AllowOnly("min_cosine", "max_size", "max_top1_disagreement", "max_latency_ratio");
        return new BudgetSettings
        {
            MinCosine = section.Fraction("min_cosine"),
            MinCosineAt = section.Has("min_cosine") ? section.LocationOf("min_cosine") : null,
            MaxSizeBytes = section.Size("max_size"),
            MaxSizeAt = section.Has("max_size") ? section.LocationOf("max_size") : null,
            MaxTop1Disagreement = section.Fraction("max_top1_disagreement"),
            MaxTop1DisagreementAt = section.Has("max_top1_disagreement") ? section.LocationOf("max_top1_disagreement") : null,
            // A ratio above 100 is a typo (or a percentage): no optimized model is meant to be 100x slower.
            MaxLatencyRatio = section.Number("max_latency_ratio", 0.01, 100),
            MaxLatencyRatioAt = section.Has("max_latency_ratio") ? section.LocationOf("max_latency_ratio") : null,
        };
    }
}
