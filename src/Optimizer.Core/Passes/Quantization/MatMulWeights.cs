using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Quantization;

/// <summary>
/// A main-graph MatMul or Gemm seen as Y = A · W (+ bias) with W a 2-D float weight [K, N]: for a Gemm, W is B (or Bᵀ
/// when <see cref="Transposed"/>) times alpha, and the bias is beta · C as a [N] vector (null without C).
/// </summary>
internal sealed record MatMulWeight(NodeProto Node, TensorProto Weight, bool Transposed = false, float Alpha = 1f, float[]? Bias = null)
{
    /// <summary>The inner (reduction) dimension.</summary>
    public int K => (int)Weight.Dims[Transposed ? 1 : 0];

    /// <summary>The output dimension.</summary>
    public int N => (int)Weight.Dims[Transposed ? 0 : 1];

    /// <summary>
    /// Identifies the quantized tensor this node needs: nodes reading the same weight the same way (tied embeddings,
    /// shared projections) store it once.
    /// </summary>
    public string Key => FormattableString.Invariant($"{Weight.Name}|{Transposed}|{Alpha:R}");

    /// <summary>The weight as [K, N], row-major, with alpha applied (transposed from a Gemm's [N, K] when transB = 1).</summary>
    public float[] Values()
    {
        var stored = TensorValues.ReadFloats(Weight);
        if (!Transposed && Alpha == 1f)
        {
            return stored;
        }

        var (k, n) = (K, N);
        var values = new float[stored.Length];
        for (var row = 0; row < k; row++)
        {
            for (var column = 0; column < n; column++)
            {
                values[(row * n) + column] = Alpha * stored[Transposed ? (column * k) + row : (row * n) + column];
            }
        }

        return values;
    }
}

/// <summary>
/// Finds the MatMul and Gemm weights the dynamic and weight-only modes quantize, honouring the exclusions. A Gemm
/// whose semantics the integer kernels cannot express (transA = 1, a C that is not a constant [N] vector) stays float
/// and is named in an <see cref="ErrorCodes.QuantizationGemmLeftFloat"/> warning.
/// </summary>
internal static class MatMulWeights
{
    /// <summary>
    /// Every main-graph MatMul and Gemm with a float 2-D initializer as its weight (at least <paramref name="minInner"/>
    /// rows of K), not excluded by <paramref name="options"/>; nodes whose first input is a weight too are left alone.
    /// Gemms that must stay float are reported to <paramref name="sink"/>.
    /// </summary>
    public static List<MatMulWeight> Find(ModelProto model, QuantizationOptions options, IDiagnosticSink sink, int minInner = 1)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.GroupBy(i => i.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var types = TensorElementTypes.Infer(new GraphScopes(model));
        var excluded = new NodeNameMatcher(options.ExcludeNodeNames);
        var found = new List<MatMulWeight>();
        var leftFloat = new List<string>();
        foreach (var node in graph.Node)
        {
            if (node.OpType is not ("MatMul" or "Gemm") || !Opsets.IsDefaultDomain(node.Domain) || node.Input.Count < 2
                || options.ExcludeOpTypes.Contains(node.OpType) || excluded.IsMatch(node.Name)
                || initializers.ContainsKey(node.Input[0]) || types.Get(graph, node.Input[0]) != DataType.Float
                || !initializers.TryGetValue(node.Input[1], out var weight) || weight is not { Dims.Count: 2 }
                || (DataType)weight.DataType != DataType.Float || weight.Dims[0] <= 0 || weight.Dims[1] <= 0)
            {
                continue;
            }

            var candidate = node.OpType == "MatMul" ? new MatMulWeight(node, weight) : GemmWeight(node, weight, initializers, leftFloat);
            if (candidate is not null && candidate.K >= minInner)
            {
                found.Add(candidate);
            }
        }

        if (leftFloat.Count > 0)
        {
            sink.Warn(new Diagnostic(DiagnosticSeverity.Warning, ErrorCodes.QuantizationGemmLeftFloat,
                $"{(options.Mode == QuantizationMode.Dynamic ? "Dynamic" : "Weight-only int4")} quantization left {leftFloat.Count} Gemm node(s) in float: "
                + string.Join("; ", leftFloat) + ". They run correctly at float speed; re-export them as MatMul + Add, or use mode static."));
        }

        return found;
    }

    /// <summary>
    /// The Gemm as A · W + bias, or null (with the reason added to <paramref name="leftFloat"/>) when its attributes or
    /// C cannot be folded into a [K, N] weight and a [N] bias.
    /// </summary>
    private static MatMulWeight? GemmWeight(NodeProto node, TensorProto weight, Dictionary<string, TensorProto> initializers, List<string> leftFloat)
    {
        if (Attributes.GetInt(node, "transA", 0) != 0)
        {
            leftFloat.Add($"'{node.Name}' has transA=1, which DynamicQuantizeMatMul and MatMulNBits cannot express");
            return null;
        }

        var gemm = new MatMulWeight(node, weight, Attributes.GetInt(node, "transB", 0) != 0, Attributes.GetFloat(node, "alpha", 1f));
        var c = node.Input.Count > 2 ? node.Input[2] : "";
        if (c.Length == 0)
        {
            return gemm;
        }

        var beta = Attributes.GetFloat(node, "beta", 1f);
        if (!initializers.TryGetValue(c, out var bias) || (DataType)bias.DataType != DataType.Float)
        {
            leftFloat.Add($"'{node.Name}' adds C '{c}', which is not a constant float tensor, so it cannot become the kernel's bias");
            return null;
        }

        // C broadcasts to [M, N]; only a C that is the same for every row ([], [1], [N], [1, N]) is a bias vector.
        var count = TensorValues.ElementCount(bias.Dims);
        var perRow = bias.Dims.Count switch
        {
            0 => false,
            1 => count != 1 && count != gemm.N,
            2 => bias.Dims[0] != 1 || (bias.Dims[1] != 1 && bias.Dims[1] != gemm.N),
            _ => true,
        };
        if (perRow)
        {
            leftFloat.Add($"'{node.Name}' adds C '{c}' of shape [{string.Join(", ", bias.Dims)}], which is not one value per output column");
            return null;
        }

        var values = TensorValues.ReadFloats(bias);
        return gemm with { Bias = Enumerable.Range(0, gemm.N).Select(j => beta * values[count == 1 ? 0 : j]).ToArray() };
    }
}
