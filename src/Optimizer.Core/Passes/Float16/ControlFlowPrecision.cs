using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// The If/Loop/Scan results that must stay float32 because they exceed the float16 range on calibration data. Keeping
/// the producer inside a body is not enough: the body output would be cast to float16 on its way out (infinity).
/// A kept result keeps the whole slot float32: the body output in every branch, the node output, and for Loop-carried
/// and Scan state also the body input and the initial value the node reads, since they are the same value next step.
/// </summary>
internal sealed class ControlFlowPrecision
{
    private readonly GraphScopes _scopes;
    private readonly Dictionary<NodeProto, HashSet<int>> _kept = new(ReferenceEqualityComparer.Instance);

    private ControlFlowPrecision(GraphScopes scopes) => _scopes = scopes;

    /// <summary>Kept result slots by node (output indices of the If/Loop/Scan node), for the report.</summary>
    public IReadOnlyDictionary<NodeProto, HashSet<int>> Kept => _kept;

    /// <summary>None kept: for runs without overflow protection.</summary>
    public static ControlFlowPrecision None(GraphScopes scopes) => new(scopes);

    /// <summary>Finds the slots whose value (node output, any body's output, or a carried initial value) exceeds <paramref name="limit"/>.</summary>
    public static ControlFlowPrecision Find(GraphScopes scopes, IReadOnlyDictionary<TensorKey, float> ranges, float limit)
    {
        var result = new ControlFlowPrecision(scopes);
        bool Large(GraphProto graph, string name) => name.Length > 0 && scopes.Resolve(graph, name) is { } key && ranges.GetValueOrDefault(key) > limit;
        foreach (var graph in scopes.Graphs)
        {
            foreach (var node in graph.Node.Where(IsControlFlow))
            {
                for (var slot = 0; slot < node.Output.Count; slot++)
                {
                    var bodyOutput = slot + OutputOffset(node);
                    var large = Large(graph, node.Output[slot])
                        || ModelWalker.Subgraphs(node).Any(body => bodyOutput < body.Output.Count && Large(body, body.Output[bodyOutput].Name))
                        || (slot < StateCount(node) && Large(graph, node.Input[slot + StateOffset(node)]));
                    if (large)
                    {
                        result.Keep(node, slot);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>True when output <paramref name="index"/> of <paramref name="node"/> (an If/Loop/Scan) stays float32.</summary>
    public bool KeepsNodeOutput(NodeProto node, int index) => _kept.TryGetValue(node, out var slots) && slots.Contains(index);

    /// <summary>True when input <paramref name="index"/> of <paramref name="node"/> is the initial value of a kept Loop/Scan state.</summary>
    public bool KeepsNodeInput(NodeProto node, int index) =>
        IsControlFlow(node) && index - StateOffset(node) is var slot && slot >= 0 && slot < StateCount(node) && KeepsNodeOutput(node, slot);

    /// <summary>True when output <paramref name="index"/> of the body <paramref name="graph"/> carries a kept slot.</summary>
    public bool KeepsBodyOutput(GraphProto graph, int index) =>
        _scopes.Owner(graph) is { } owner && KeepsNodeOutput(owner, index - OutputOffset(owner));

    /// <summary>True when input <paramref name="index"/> of the body <paramref name="graph"/> is a kept Loop/Scan state.</summary>
    public bool KeepsBodyInput(GraphProto graph, int index) =>
        _scopes.Owner(graph) is { } owner && index - StateOffset(owner) is var slot && slot >= 0 && slot < StateCount(owner) && KeepsNodeOutput(owner, slot);

    private void Keep(NodeProto node, int slot)
    {
        if (!_kept.TryGetValue(node, out var slots))
        {
            _kept[node] = slots = [];
        }

        slots.Add(slot);
    }

    private static bool IsControlFlow(NodeProto node) => Opsets.IsDefaultDomain(node.Domain) && Float16OpTables.ControlFlow.Contains(node.OpType);

    // Loop bodies return the loop condition first; If branches and Scan bodies return the node's outputs in order.
    private static int OutputOffset(NodeProto node) => node.OpType == "Loop" ? 1 : 0;

    // Loop reads (trip count, condition, states...) and its body (iteration, condition, states...); Scan starts with its states.
    private static int StateOffset(NodeProto node) => node.OpType == "Loop" ? 2 : 0;

    private static int StateCount(NodeProto node) => node.OpType switch
    {
        "Loop" => Math.Max(node.Input.Count - 2, 0),
        "Scan" => node.Input.Count - (int)Attributes.GetInt(node, "num_scan_inputs", 0),
        _ => 0,
    };
}
