namespace Optimizer.Core.Diagnostics;

/// <summary>Every diagnostic code the engine raises, in one place; docs/diagnostics.md explains each.</summary>
public static class ErrorCodes
{
    /// <summary>compression.yaml is not valid YAML.</summary>
    public const string ConfigSyntax = "OPT1001";

    /// <summary>compression.yaml has a key the schema does not know.</summary>
    public const string ConfigUnknownKey = "OPT1002";

    /// <summary>compression.yaml has a value of the wrong type or out of range.</summary>
    public const string ConfigInvalidValue = "OPT1003";

    /// <summary>A profile name that is neither built in nor defined in the configuration.</summary>
    public const string UnknownProfile = "OPT1004";

    /// <summary>A configuration file named explicitly does not exist.</summary>
    public const string ConfigNotFound = "OPT1005";

    /// <summary>Command-line usage error (missing or conflicting options).</summary>
    public const string InvalidArguments = "OPT1006";

    /// <summary>The model file does not exist.</summary>
    public const string ModelNotFound = "OPT2001";

    /// <summary>The model file is not a readable ONNX protobuf (empty, truncated, garbage).</summary>
    public const string ModelInvalid = "OPT2002";

    /// <summary>The model uses an op, opset or structure this version cannot process.</summary>
    public const string ModelUnsupported = "OPT2003";

    /// <summary>An external-data reference is missing, escapes the model folder or disagrees with its tensor.</summary>
    public const string ExternalData = "OPT2004";

    /// <summary>ONNX Runtime refused to load or run a model.</summary>
    public const string RuntimeFailure = "OPT2005";

    /// <summary>The output model could not be written.</summary>
    public const string OutputWrite = "OPT2006";

    /// <summary>Warning: no calibration data, so random inputs were generated.</summary>
    public const string SyntheticCalibration = "OPT3001";

    /// <summary>A calibration file could not be read.</summary>
    public const string CalibrationUnreadable = "OPT3002";

    /// <summary>Calibration data does not match the model's inputs (names, element types, shapes).</summary>
    public const string CalibrationMismatch = "OPT3003";

    /// <summary>The optimized model's fidelity is below the configured minimum.</summary>
    public const string BudgetFidelity = "OPT4001";

    /// <summary>The optimized model is larger than the configured maximum size.</summary>
    public const string BudgetSize = "OPT4002";

    /// <summary>Warning: part of the model was left unoptimized (e.g. ops inside subgraphs).</summary>
    public const string PartiallyOptimized = "OPT5001";

    /// <summary>Warning: a weight held values beyond float16's range (±65504) and was clamped.</summary>
    public const string Float16WeightClamped = "OPT5002";

    /// <summary>An unexpected failure inside the tool; a bug to report.</summary>
    public const string Internal = "OPT9001";
}
