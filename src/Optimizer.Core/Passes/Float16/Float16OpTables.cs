using System.Collections.Frozen;

namespace Optimizer.Core.Passes.Float16;

/// <summary>Which ops and which op inputs/outputs must stay float32, and which ops get their output type from an attribute.</summary>
public static class Float16OpTables
{
    /// <summary>
    /// Ops kept in float32 by default. It follows onnxconverter-common's float16 converter (ai.onnx.ml ops, which have no
    /// float16 kernels; NonMaxSuppression, TopK, RoiAlign, Range, CumSum, Upsample, which runtimes lack or get wrong in
    /// float16) plus ops whose results are indices, positions or random draws, where float16's 11-bit mantissa
    /// changes the answer (Range of positions past 2048, random sampling) or whose float inputs are only float32
    /// (quantization ops). Every op in the ai.onnx.ml domain is blocked regardless of this list.
    /// Min and Max, which onnxconverter-common also blocks, are not: they only compare and select, so they are exact in
    /// float16, and ONNX Runtime's CUDA and CPU providers have float16 kernels for both (opset 12+); blocking them cost
    /// two Casts around every clamp (e.g. ReLU6 written as Min(Max(x, 0), 6)).
    /// </summary>
    public static FrozenSet<string> DefaultBlockOps { get; } = new[]
    {
        // onnxconverter-common's DEFAULT_OP_BLOCK_LIST
        "ArrayFeatureExtractor", "Binarizer", "CastMap", "CategoryMapper", "DictVectorizer", "FeatureVectorizer", "Imputer",
        "LabelEncoder", "LinearClassifier", "LinearRegressor", "Normalizer", "OneHotEncoder", "RandomUniformLike", "SVMClassifier",
        "SVMRegressor", "Scaler", "TreeEnsembleClassifier", "TreeEnsembleRegressor", "ZipMap", "NonMaxSuppression", "TopK",
        "RoiAlign", "Range", "CumSum", "Upsample",
        // random generators and samplers
        "RandomNormal", "RandomUniform", "RandomNormalLike", "Multinomial", "Bernoulli",
        // quantization: scales are float32-only before opset 19 and QDQ graphs are meant for integer kernels
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
        // float outputs built from integer inputs and float32-only signal helpers
        "TfIdfVectorizer", "MelWeightMatrix", "EyeLike",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Inputs that stay float32 even on a node that runs in float16: (op type, input indices).</summary>
    public static FrozenDictionary<string, int[]> Float32Inputs { get; } = new Dictionary<string, int[]>
    {
        // Resize scales are tensor(float) in every opset; roi is converted by runtimes in float32 too.
        ["Resize"] = [1, 2],
        ["Upsample"] = [1],
        // ONNX Runtime's contrib group norms take float32 gamma/beta.
        ["GroupNorm"] = [1, 2],
        ["SkipGroupNorm"] = [1, 2],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Outputs that are float32 whatever the input type: LayerNormalization's Mean and InvStdDev follow stash_type.</summary>
    public static FrozenDictionary<string, int[]> Float32Outputs { get; } = new Dictionary<string, int[]>
    {
        ["LayerNormalization"] = [1, 2],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Ops whose output type an attribute sets; the pass rewrites that attribute instead of the inputs' types.</summary>
    public static FrozenSet<string> AttributeTyped { get; } =
        new[] { "Cast", "ConstantOfShape", "HannWindow", "HammingWindow", "BlackmanWindow", "SequenceEmpty", "Optional" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Ops that accept any element type on their inputs, so a float16 input needs no Cast back.</summary>
    public static FrozenSet<string> AnyTypeInputs { get; } = new[] { "Cast", "Shape", "Size" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Control-flow ops: never blocked; their bodies are converted node by node instead.</summary>
    public static FrozenSet<string> ControlFlow { get; } = new[] { "If", "Loop", "Scan" }.ToFrozenSet(StringComparer.Ordinal);
}
