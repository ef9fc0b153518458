using System.Runtime.CompilerServices;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>
/// A tensor identified by the graph that defines it and its name. Sibling subgraphs (an If's two branches) may reuse
/// a name, and protobuf messages compare by value, so keys compare the graph by reference.
/// </summary>
public readonly record struct TensorKey(GraphProto Graph, string Name)
{
    /// <inheritdoc/>
    public bool Equals(TensorKey other) => ReferenceEquals(Graph, other.Graph) && string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(Graph), StringComparer.Ordinal.GetHashCode(Name));
}
