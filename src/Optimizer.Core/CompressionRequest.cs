namespace Optimizer.Core;

/// <summary>
/// One model to optimize: what the CLI's <c>compress</c> command and the MSBuild task ask for.
/// Either <see cref="OutputPath"/> (one profile) or <see cref="OutputDirectory"/> (files named
/// <c>&lt;name&gt;.&lt;profile&gt;.onnx</c>) says where results go; with neither, they go next to the model.
/// </summary>
public sealed record CompressionRequest
{
    /// <summary>The source ONNX model.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Profiles to produce; empty means the configuration's profiles, else the built-in ones.</summary>
    public IReadOnlyList<string> Profiles { get; init; } = [];

    /// <summary>An explicit configuration file; null to look next to the model.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>Configuration overrides as <c>key.path=value</c>, winning over every YAML file.</summary>
    public IReadOnlyList<string> ConfigOverrides { get; init; } = [];

    /// <summary>A calibration folder that overrides the configuration's.</summary>
    public string? CalibrationDirectory { get; init; }

    /// <summary>The output file, allowed only with a single profile.</summary>
    public string? OutputPath { get; init; }

    /// <summary>The output folder for <c>&lt;name&gt;.&lt;profile&gt;.onnx</c> files and their reports.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>The base name of output files; defaults to the model's file name without extension.</summary>
    public string? OutputName { get; init; }

    /// <summary>Report broken budgets as warnings and write the models anyway (exploratory builds).</summary>
    public bool BudgetsAsWarnings { get; init; }

    /// <summary>The JSON report path, allowed only with a single profile; with an output folder, reports go beside the models.</summary>
    public string? ReportPath { get; init; }
}
