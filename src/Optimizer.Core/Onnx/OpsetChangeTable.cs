namespace Optimizer.Core.Onnx;

/// <summary>
/// Which default-domain ops kept their meaning between opsets 7 and 13 and which did not. Only ops listed as
/// unchanged may simply have their model's opset number raised; the others must be rewritten or refused, because
/// bumping the number alone would make ONNX Runtime read the old attributes wrongly (or reject the node).
/// </summary>
internal static class OpsetChangeTable
{
    /// <summary>The oldest default-domain opset the upgrade handles; older models used per-op broadcast attributes.</summary>
    public const long OldestSupported = 7;

    /// <summary>
    /// Ops whose opset-13 definition accepts every opset 7..12 node unchanged: later versions only added element
    /// types, negative axes, or optional inputs/attributes whose defaults keep the old behavior.
    /// </summary>
    public static readonly HashSet<string> Unchanged = new(StringComparer.Ordinal)
    {
        "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool", "BitShift",
        "Cast", "Ceil", "Celu", "Compress", "Concat", "ConcatFromSequence", "Constant", "ConstantOfShape", "Conv",
        "ConvInteger", "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Det", "Div",
        "DynamicQuantizeLinear", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "GRU",
        "Gather", "GatherElements", "GatherND", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater",
        "GreaterOrEqual", "HardSigmoid", "Identity", "If", "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LSTM",
        "LeakyRelu", "Less", "LessOrEqual", "Log", "Loop", "LpNormalization", "LpPool", "MatMul", "MatMulInteger", "Max",
        "MaxPool", "MaxRoiPool", "MaxUnpool", "Mean", "MeanVarianceNormalization", "Min", "Mod", "Mul", "Multinomial", "Neg",
        "NonMaxSuppression", "NonZero", "Not", "OneHot", "Or", "PRelu", "Pow", "QLinearConv", "QLinearMatMul", "QuantizeLinear",
        "RNN", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Range", "Reciprocal", "ReduceL1",
        "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd",
        "ReduceSumSquare", "Relu", "Reshape", "ReverseSequence", "RoiAlign", "Round", "ScatterElements", "ScatterND", "Selu",
        "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert", "SequenceLength", "Shape",
        "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Softplus", "Softsign", "SpaceToDepth", "SplitToSequence", "Sqrt",
        "StringNormalizer", "Sub", "Sum", "Tan", "Tanh", "TfIdfVectorizer", "ThresholdedRelu", "Tile", "Transpose", "Unique",
        "Where", "Xor", "NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss",
    };

    /// <summary>
    /// Ops that changed signature before opset 13 and that <see cref="OpsetUpgrade"/> rewrites; the value is the first
    /// opset with the opset-13 form (nodes from that opset on need no rewrite).
    /// </summary>
    public static readonly Dictionary<string, long> Converted = new(StringComparer.Ordinal)
    {
        ["Clip"] = 11, // min/max attributes became inputs
        ["Pad"] = 11, // pads/value attributes became inputs
        ["Slice"] = 10, // starts/ends/axes attributes became inputs
        ["TopK"] = 10, // k attribute became an input
        ["Dropout"] = 12, // ratio attribute became an input (a no-op at inference)
        ["BatchNormalization"] = 9, // spatial attribute removed
        ["Squeeze"] = 13, // axes attribute became an input
        ["Unsqueeze"] = 13,
        ["Split"] = 13, // split attribute became an input
        ["ReduceSum"] = 13, // axes attribute became an input
        ["Softmax"] = 13, // no longer flattens to 2-D around axis
        ["LogSoftmax"] = 13,
        ["Hardmax"] = 13,
    };

    /// <summary>
    /// Ops that changed before opset 13 in ways the tool does not rewrite: first opset with the new form (nodes from
    /// then on are fine), and the reason shown to the user.
    /// </summary>
    public static readonly Dictionary<string, (long Since, string Reason)> Refused = new(StringComparer.Ordinal)
    {
        ["Upsample"] = (long.MaxValue, "was removed in opset 10 in favour of Resize"),
        ["Scatter"] = (long.MaxValue, "was removed in opset 11 in favour of ScatterElements"),
        ["Resize"] = (11, "changed its inputs and coordinate modes in opset 11"),
        ["Scan"] = (9, "changed its batching semantics in opset 9"),
    };
}
