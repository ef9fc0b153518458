using System.Globalization;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// Picks the nodes that must run in float32 because a value they read or write would overflow float16. A node is kept
/// when any float input or output exceeds the limit: keeping only the producer of a large value is not enough, since
/// its reader would then get the value cast to float16, i.e. infinity.
/// </summary>
internal static class OverflowProtection
{
    /// <summary>
    /// The nodes to keep in float32 with the reason, from activation ranges (<paramref name="ranges"/>) and weight
    /// magnitudes. Weights beyond the limit are handled by keeping their readers in float32, which keeps the weight
    /// float32 and exact, instead of clamping it and changing the model's arithmetic.
    /// </summary>
    public static Dictionary<NodeProto, string> FindNodes(
        GraphScopes scopes, IReadOnlyDictionary<TensorKey, float> ranges, IReadOnlyDictionary<TensorKey, TensorProto> weights, float limit)
    {
        var magnitudes = new Dictionary<TensorKey, float>(ranges);
        foreach (var (key, tensor) in weights)
        {
            magnitudes[key] = TensorTypeConverter.MaxMagnitude(tensor);
        }

        var reasons = new Dictionary<NodeProto, string>(ReferenceEqualityComparer.Instance);
        foreach (var graph in scopes.Graphs)
        {
            foreach (var node in graph.Node)
            {
                if (node.OpType == "Constant" || (Opsets.IsDefaultDomain(node.Domain) && Float16OpTables.ControlFlow.Contains(node.OpType)))
                {
                    continue;
                }

                var large = node.Input.Where(i => i.Length > 0).Select(i => scopes.Resolve(graph, i))
                    .Concat(node.Output.Where(o => o.Length > 0).Select(o => (TensorKey?)new TensorKey(graph, o)))
                    .OfType<TensorKey>()
                    .Select(k => (Key: k, Max: magnitudes.GetValueOrDefault(k)))
                    .Where(m => m.Max > limit)
                    .OrderByDescending(m => m.Max)
                    .FirstOrDefault();
                if (large.Key.Graph is not null)
                {
                    var kind = weights.ContainsKey(large.Key) ? "weight" : "tensor";
                    reasons[node] = string.Create(CultureInfo.InvariantCulture,
                        $"{kind} '{large.Key.Name}' reaches |x| = {large.Max:G4} > {limit:G6} on calibration data");
                }
            }
        }

        return reasons;
    }
}
