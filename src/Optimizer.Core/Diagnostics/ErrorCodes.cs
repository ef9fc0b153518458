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

    /// <summary><c>optimizer report</c> found no report files in the folder it was given.</summary>
    public const string ReportsNotFound = "OPT1020";

    /// <summary>A report file is not a report written by this tool (not JSON, or missing fields).</summary>
    public const string ReportUnreadable = "OPT1021";

    /// <summary>The MSBuild property <c>CompressModelsOutputLayout</c> names no known layout (raised by the MSBuild task).</summary>
    public const string OutputLayoutUnknown = "OPT1022";

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

    /// <summary>The graph is malformed: a dangling input, a name defined twice, a cycle or an output nothing produces.</summary>
    public const string ModelGraphInvalid = "OPT2030";

    /// <summary>The model's IR version or opset is newer than ONNX Runtime supports, or a node's domain is not imported.</summary>
    public const string ModelOpsetUnsupported = "OPT2031";

    /// <summary>The model file is too large for one protobuf message (2 GB); its weights must be in external data.</summary>
    public const string ModelTooLarge = "OPT2032";

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

    /// <summary>The optimized model's top-1 class differs from the original's on more samples than the configured maximum.</summary>
    public const string BudgetTop1Disagreement = "OPT4003";

    /// <summary>The optimized model's latency ratio to the original, measured on the build machine, is over the configured maximum.</summary>
    public const string BudgetLatency = "OPT4004";

    /// <summary>A budget is set that cannot be measured for this model (e.g. top-1 on outputs without a class axis).</summary>
    public const string BudgetUnmeasurable = "OPT4005";

    /// <summary>Warning: part of the model was left unoptimized (e.g. ops inside subgraphs).</summary>
    public const string PartiallyOptimized = "OPT5001";

    /// <summary>Warning: a weight held values beyond float16's range (±65504) and was clamped.</summary>
    public const string Float16WeightClamped = "OPT5002";

    /// <summary>Warning: channel pruning found no channel group it can remove safely; the model is unchanged.</summary>
    public const string PruningNothingPrunable = "OPT5010";

    /// <summary>Warning: the sensitivity schedule stopped short of the configured sparsity to keep every group above the floor.</summary>
    public const string PruningTargetNotReached = "OPT5011";

    /// <summary>Warning: dynamic or weight-only int4 quantization left a Gemm in float (transA = 1, or a C that is not a constant per-column bias).</summary>
    public const string QuantizationGemmLeftFloat = "OPT5020";

    /// <summary>The MSBuild property <c>CompressModelsCacheMaxSize</c> is not a size (raised by the task).</summary>
    public const string CacheMaxSizeInvalid = "OPT6040";

    /// <summary>An unexpected failure inside the tool; a bug to report.</summary>
    public const string Internal = "OPT9001";

    /// <summary>The CLI's manifest-entries file is missing or in another format than the MSBuild task reads (raised by the task).</summary>
    public const string ManifestEntriesInvalid = "OPT9002";
}
