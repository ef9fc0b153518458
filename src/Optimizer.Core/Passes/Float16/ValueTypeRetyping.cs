using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Float16;

/// <summary>
/// Changes the element type declared by a value type, looking inside sequences, optionals, maps and sparse tensors:
/// a <c>seq(tensor(float))</c> value_info left float32 next to float16 producers is a "dangling type" ORT rejects.
/// </summary>
internal static class ValueTypeRetyping
{
    /// <summary>Replaces element type <paramref name="from"/> with <paramref name="to"/> wherever <paramref name="type"/> declares it; true when something changed.</summary>
    public static bool Retype(TypeProto? type, DataType from, DataType to)
    {
        if (type is null)
        {
            return false;
        }

        if (type.TensorType is { } tensor)
        {
            return Swap(() => tensor.ElemType, v => tensor.ElemType = v, from, to);
        }

        if (type.SparseTensorType is { } sparse)
        {
            return Swap(() => sparse.ElemType, v => sparse.ElemType = v, from, to);
        }

        return Retype(type.SequenceType?.ElemType, from, to)
            | Retype(type.OptionalType?.ElemType, from, to)
            | Retype(type.MapType?.ValueType, from, to);
    }

    private static bool Swap(Func<int> get, Action<int> set, DataType from, DataType to)
    {
        if (get() != (int)from)
        {
            return false;
        }

        set((int)to);
        return true;
    }
}
