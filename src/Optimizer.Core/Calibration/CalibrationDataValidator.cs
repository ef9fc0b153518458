using Optimizer.Core.Diagnostics;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Checks one calibration tensor against the model input it feeds, so a wrong file fails here with its name instead
/// of later inside ONNX Runtime with a message about an anonymous sample. The few lossless-enough conversions numpy
/// users need (float64 to float32, int32 to int64) are applied and reported once per input at detail verbosity.
/// </summary>
internal sealed class CalibrationDataValidator(IDiagnosticSink sink)
{
    private readonly HashSet<string> _reportedConversions = new(StringComparer.Ordinal);

    /// <summary>Returns the tensor named after <paramref name="input"/>, converted if allowed; throws OPT3003 naming <paramref name="path"/> otherwise.</summary>
    public CalibrationTensor Check(CalibrationTensor tensor, ModelInput input, string path)
    {
        var data = Convert(tensor, input, path);
        CheckShape(tensor.Shape, input, path);
        return new CalibrationTensor(input.Name, input.ElementType, tensor.Shape, data);
    }

    private Array Convert(CalibrationTensor tensor, ModelInput input, string path)
    {
        if (tensor.ElementType == input.ElementType)
        {
            return tensor.Data;
        }

        // np.random and many preprocessing pipelines produce float64, and numpy on Windows defaulted to int32 before
        // numpy 2; both convert without meaningful loss, so refusing them would only make users re-save their data.
        Array? converted = (tensor.ElementType, input.ElementType) switch
        {
            (DataType.Double, DataType.Float) => Array.ConvertAll((double[])tensor.Data, d => (float)d),
            (DataType.Int32, DataType.Int64) => Array.ConvertAll((int[])tensor.Data, i => (long)i),
            _ => null,
        };
        if (converted is null)
        {
            throw CalibrationDataErrors.Mismatch(path,
                $"holds {NpyDtype.NumpyName(tensor.ElementType)} data but model input '{input.Name}' expects {NpyDtype.NumpyName(input.ElementType)}; " +
                $"convert it, e.g. np.save(path, a.astype(np.{NpyDtype.NumpyName(input.ElementType)})).");
        }

        if (_reportedConversions.Add(input.Name))
        {
            sink.Detail($"Calibration data for input '{input.Name}' is {NpyDtype.NumpyName(tensor.ElementType)} (first in '{path}'); " +
                $"converted to {NpyDtype.NumpyName(input.ElementType)}, the model input's type.");
        }

        return converted;
    }

    private static void CheckShape(long[] shape, ModelInput input, string path)
    {
        if (input.Dims is null)
        {
            return;
        }

        if (shape.Length != input.Dims.Count)
        {
            // The most common cause is a file holding one sample without its batch dimension.
            var hint = shape.Length == input.Dims.Count - 1
                ? " If the file holds one sample without the batch dimension, save it with one added, e.g. np.save(path, a[np.newaxis])."
                : string.Empty;
            throw CalibrationDataErrors.Mismatch(path,
                $"has shape {CalibrationDataArrays.FormatShape(shape)} (rank {shape.Length}) but model input '{input.Name}' " +
                $"has rank {input.Dims.Count}: {input.FormatDims()}.{hint}");
        }

        for (var axis = 0; axis < shape.Length; axis++)
        {
            if (input.Dims[axis] is { } expected && expected != shape[axis])
            {
                throw CalibrationDataErrors.Mismatch(path,
                    $"has shape {CalibrationDataArrays.FormatShape(shape)} but model input '{input.Name}' expects {input.FormatDims()}: " +
                    $"dimension {axis} is {shape[axis]}, expected {expected}.");
            }
        }
    }
}
