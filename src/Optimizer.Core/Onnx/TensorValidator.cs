using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Onnx;

/// <summary>
/// Checks that every stored tensor's data agrees with its dims and element type, and that graph inputs declare
/// shapes a tensor can have. Passes and ONNX Runtime trust these sizes to allocate and index, so a file that lies
/// about them (negative or gigantic dims, short data) must be refused here, before anything allocates.
/// </summary>
internal static class TensorValidator
{
    /// <summary>Throws <see cref="ErrorCodes.ModelInvalid"/> naming the first tensor or input whose size is impossible.</summary>
    public static void Check(ModelProto model, string origin)
    {
        foreach (var tensor in ModelWalker.AllTensors(model))
        {
            CheckTensor(tensor, origin);
        }

        foreach (var graph in ModelWalker.AllGraphs(model))
        {
            foreach (var input in graph.Input)
            {
                CheckDeclaredShape(graph, input, origin);
            }
        }
    }

    private static void CheckTensor(TensorProto tensor, string origin)
    {
        var count = ElementCount(tensor.Dims);
        if (count < 0)
        {
            throw Error($"Tensor '{tensor.Name}' has dims [{string.Join(", ", tensor.Dims)}]: negative, or more elements than any tensor can hold.", origin);
        }

        var type = (DataType)tensor.DataType;
        if (type == DataType.Undefined)
        {
            throw Error($"Tensor '{tensor.Name}' has no element type (data_type 0).", origin);
        }

        if (!Enum.IsDefined(type))
        {
            // A newer element type: its layout is unknown here, so its size cannot be checked; passes leave it untouched.
            return;
        }

        if (DataMismatch(tensor, type, count) is { } held)
        {
            throw Error($"Tensor '{tensor.Name}' declares dims [{string.Join(", ", tensor.Dims)}] ({count} elements of {type}) but holds {held}.", origin);
        }
    }

    // What the stored data amounts to when it disagrees with the dims, else null; 4-bit types pack two per byte.
    private static string? DataMismatch(TensorProto tensor, DataType type, long count)
    {
        if (tensor.HasRawData)
        {
            long bytes = tensor.RawData.Length;
            var size = ElementSize(type);
            var matches = type != DataType.String && (IsFourBit(type) ? bytes == (count + 1) / 2 : bytes % size == 0 && bytes / size == count);
            return matches ? null : $"{bytes} bytes of raw_data";
        }

        long values = type switch
        {
            DataType.Float => tensor.FloatData.Count,
            DataType.Complex64 => tensor.FloatData.Count / 2,
            DataType.Double => tensor.DoubleData.Count,
            DataType.Complex128 => tensor.DoubleData.Count / 2,
            DataType.Int64 => tensor.Int64Data.Count,
            DataType.Uint32 or DataType.Uint64 => tensor.Uint64Data.Count,
            DataType.String => tensor.StringData.Count,
            _ => tensor.Int32Data.Count,
        };
        return values == count || (IsFourBit(type) && values == (count + 1) / 2) ? null : $"{values} values";
    }

    private static void CheckDeclaredShape(GraphProto graph, ValueInfoProto input, string origin)
    {
        if (input.Type?.TensorType?.Shape is not { } shape)
        {
            return;
        }

        var fixedDims = shape.Dim.Where(d => d.HasDimValue).Select(d => d.DimValue).ToList();
        if (ElementCount(fixedDims) is < 0 or > int.MaxValue)
        {
            throw Error($"Input '{input.Name}' of graph '{graph.Name}' declares dims [{string.Join(", ", fixedDims)}]: negative, or more elements than one tensor can hold (2^31).", origin);
        }
    }

    /// <summary>The element count, or -1 when a dim is negative or the product exceeds what an array can index.</summary>
    private static long ElementCount(IEnumerable<long> dims)
    {
        long count = 1;
        foreach (var dim in dims)
        {
            if (dim < 0 || (dim > 0 && count > long.MaxValue / dim))
            {
                return -1;
            }

            count *= dim;
        }

        return count;
    }

    private static bool IsFourBit(DataType type) => type is DataType.Int4 or DataType.Uint4 or DataType.Float4E2M1;

    private static int ElementSize(DataType type) => type switch
    {
        DataType.Double or DataType.Int64 or DataType.Uint64 or DataType.Complex64 => 8,
        DataType.Complex128 => 16,
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        _ => 1,
    };

    private static OptimizerException Error(string message, string origin) => new(ErrorCodes.ModelInvalid, message, origin);
}
