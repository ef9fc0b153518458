using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Output element types of ONNX ops from their input types and attributes. Most ops output their first input's type;
/// this lists the ones that do not (comparisons, index outputs, attribute-typed generators, control flow).
/// </summary>
public static class ElementTypeRules
{
    private static readonly HashSet<string> BoolOutputs =
        ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not", "IsNaN", "IsInf", "RegexFullMatch"];

    private static readonly HashSet<string> Int64Outputs = ["Shape", "Size", "NonZero", "ArgMax", "ArgMin", "NonMaxSuppression"];

    /// <summary>
    /// The element type of each output of <paramref name="node"/> (null where unknown). <paramref name="input"/> gives the
    /// type of input i; <paramref name="subgraphOutputs"/> the output types of a body graph (If, Loop, Scan).
    /// </summary>
    public static IReadOnlyList<DataType?> OutputTypes(NodeProto node, Func<int, DataType?> input, Func<GraphProto, IReadOnlyList<DataType?>> subgraphOutputs)
    {
        var count = node.Output.Count;
        if (!Opsets.IsDefaultDomain(node.Domain))
        {
            // Contrib ops (com.microsoft) output the type of their float data (EmbedLayerNormalization reads int ids
            // first, then float tables); ai.onnx.ml ops follow no rule, so they stay unknown.
            if (node.Domain == "ai.onnx.ml")
            {
                return Same(count, null);
            }

            var floating = Enumerable.Range(0, node.Input.Count).Select(input)
                .FirstOrDefault(t => t is DataType.Float or DataType.Float16 or DataType.Double or DataType.Bfloat16);
            return Same(count, floating ?? input(0));
        }

        DataType? first = input(0);
        return node.OpType switch
        {
            "Cast" => Same(count, Attr(node, "to")),
            "CastLike" => Same(count, input(1)),
            "Constant" => Same(count, ConstantType(node)),
            "ConstantOfShape" => Same(count, Attributes.Find(node, "value")?.T is { } v ? (DataType)v.DataType : DataType.Float),
            "RandomNormal" or "RandomUniform" => Same(count, Attr(node, "dtype") ?? DataType.Float),
            "RandomNormalLike" or "RandomUniformLike" or "EyeLike" or "Bernoulli" => Same(count, Attr(node, "dtype") ?? first),
            "Multinomial" => Same(count, Attr(node, "dtype") ?? DataType.Int32),
            "HannWindow" or "HammingWindow" or "BlackmanWindow" or "MelWeightMatrix" => Same(count, Attr(node, "output_datatype") ?? DataType.Float),
            "TfIdfVectorizer" => Same(count, DataType.Float),
            "Where" => Same(count, input(1)),
            "OneHot" => Same(count, input(2)),
            "DequantizeLinear" => Same(count, Attr(node, "output_dtype") ?? input(1)),
            "QuantizeLinear" => Same(count, input(2) ?? Attr(node, "output_dtype") ?? DataType.Uint8),
            "DynamicQuantizeLinear" => [DataType.Uint8, DataType.Float, DataType.Uint8],
            "MatMulInteger" or "ConvInteger" => Same(count, DataType.Int32),
            "TopK" or "MaxPool" => [first, DataType.Int64],
            "Unique" => [first, DataType.Int64, DataType.Int64, DataType.Int64],
            "Dropout" => [first, DataType.Bool],
            "LayerNormalization" => [first, Attr(node, "stash_type") ?? DataType.Float, Attr(node, "stash_type") ?? DataType.Float],
            "If" => Body(node, "then_branch", subgraphOutputs, skip: 0),
            "Loop" => Body(node, "body", subgraphOutputs, skip: 1),
            "Scan" => Body(node, "body", subgraphOutputs, skip: 0),
            _ when BoolOutputs.Contains(node.OpType) => Same(count, DataType.Bool),
            _ when Int64Outputs.Contains(node.OpType) => Same(count, DataType.Int64),
            _ when node.OpType.StartsWith("Sequence", StringComparison.Ordinal) || node.OpType.StartsWith("Optional", StringComparison.Ordinal)
                || node.OpType is "SplitToSequence" or "ConcatFromSequence" or "StringNormalizer" or "StringSplit" or "StringConcat"
                    or "ImageDecoder" => Same(count, null),
            _ => Same(count, first),
        };
    }

    private static DataType?[] Same(int count, DataType? type) => Enumerable.Repeat(type, count).ToArray();

    private static DataType? Attr(NodeProto node, string name) => Attributes.Find(node, name) is { } a ? (DataType)a.I : null;

    private static DataType? ConstantType(NodeProto node)
    {
        var attribute = node.Attribute.FirstOrDefault();
        return attribute?.Name switch
        {
            "value" => (DataType)attribute.T.DataType,
            "sparse_value" => attribute.SparseTensor?.Values is { } values ? (DataType)values.DataType : null,
            "value_float" or "value_floats" => DataType.Float,
            "value_int" or "value_ints" => DataType.Int64,
            "value_string" or "value_strings" => DataType.String,
            _ => null,
        };
    }

    private static IReadOnlyList<DataType?> Body(NodeProto node, string attribute, Func<GraphProto, IReadOnlyList<DataType?>> subgraphOutputs, int skip) =>
        Attributes.Find(node, attribute)?.G is { } body ? subgraphOutputs(body).Skip(skip).ToList() : Same(node.Output.Count, null);
}
