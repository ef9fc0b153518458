using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Rewrites weight tensors in place (name and element type kept): keeps chosen indices along one axis, or replaces
/// all values. Pruning edits tensors only through here, so float16 and double weights stay in their own type.
/// </summary>
internal static class TensorSlicing
{
    /// <summary>Keeps only <paramref name="kept"/> (ascending) along <paramref name="axis"/> of <paramref name="tensor"/>.</summary>
    public static void Keep(TensorProto tensor, int axis, IReadOnlyList<int> kept)
    {
        var dims = tensor.Dims.ToArray();
        var values = TensorValues.ReadFloats(tensor);
        var outer = 1L;
        for (var i = 0; i < axis; i++)
        {
            outer *= dims[i];
        }

        var inner = 1L;
        for (var i = axis + 1; i < dims.Length; i++)
        {
            inner *= dims[i];
        }

        var result = new float[outer * kept.Count * inner];
        var target = 0L;
        for (var o = 0L; o < outer; o++)
        {
            foreach (var k in kept)
            {
                Array.Copy(values, (o * dims[axis] + k) * inner, result, target, inner);
                target += inner;
            }
        }

        dims[axis] = kept.Count;
        Overwrite(tensor, result, dims);
    }

    /// <summary>Replaces the tensor's values (and dims, when given), encoding them in the tensor's own element type.</summary>
    public static void Overwrite(TensorProto tensor, float[] values, IReadOnlyList<long>? dims = null)
    {
        var type = (DataType)tensor.DataType;
        var replacement = type switch
        {
            DataType.Float => TensorValues.FromFloats(tensor.Name, dims ?? tensor.Dims, values),
            DataType.Float16 => TensorValues.FromFloatsAsFloat16(tensor.Name, dims ?? tensor.Dims, values),
            DataType.Double => TensorValues.Create<double>(tensor.Name, DataType.Double, dims ?? tensor.Dims, Array.ConvertAll(values, v => (double)v)),
            _ => throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Weight '{tensor.Name}' has element type {type}; pruning edits float32, float16 and float64 weights only."),
        };

        tensor.Dims.Clear();
        tensor.Dims.AddRange(replacement.Dims);
        tensor.ClearRawData();
        tensor.FloatData.Clear();
        tensor.DoubleData.Clear();
        tensor.Int32Data.Clear();
        tensor.ExternalData.Clear();
        tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        tensor.RawData = replacement.RawData;
    }
}
