using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Runtime;

/// <summary>
/// The float32 outputs of one ONNX Runtime run, read in place (see <see cref="ModelSession.RunInPlace"/>); valid only
/// while the callback that receives them runs, since ORT frees the buffers afterwards.
/// </summary>
public sealed class OutputSpans
{
    private readonly IReadOnlyList<string> _names;
    private readonly IReadOnlyList<OrtValue> _values;

    internal OutputSpans(IReadOnlyList<string> names, IReadOnlyList<OrtValue> values)
    {
        _names = names;
        _values = values;
    }

    /// <summary>The number of outputs, in the order they were requested.</summary>
    public int Count => _values.Count;

    /// <summary>The shape of output <paramref name="index"/>.</summary>
    public long[] Shape(int index) => _values[index].GetTensorTypeAndShape().Shape;

    /// <summary>The values of output <paramref name="index"/>, which must be a float32 tensor.</summary>
    /// <exception cref="OptimizerException">ModelUnsupported when the output holds another element type.</exception>
    public ReadOnlySpan<float> Values(int index)
    {
        var value = _values[index];
        var type = value.GetTensorTypeAndShape().ElementDataType;
        return type == TensorElementType.Float
            ? value.GetTensorDataAsSpan<float>()
            : throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Output '{_names[index]}' has element type {type}; only float32 activations can be read in place.");
    }
}
