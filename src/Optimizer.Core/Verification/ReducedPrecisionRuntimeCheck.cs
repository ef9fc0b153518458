using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Verification;

/// <summary>
/// Proves that ONNX Runtime accepts a float16 model as written (types, Casts, subgraphs) by loading it and running one
/// sample on the CPU provider. The numbers of that run are not used: the CPU provider computes most float16 ops in
/// float32, so they say little about a GPU (the emulation measures those).
/// </summary>
internal static class ReducedPrecisionRuntimeCheck
{
    /// <summary>Loads <paramref name="model"/> and runs the first sample, rounding float32 inputs where the model takes float16.</summary>
    public static void LoadAndRun(ModelProto model, IReadOnlyList<CalibrationSample> samples)
    {
        using var session = ModelSession.Create(model, "optimized float16 model");
        if (samples.Count > 0)
        {
            session.Run(ForInputsOf(model, samples[0]));
        }
    }

    // With keep_io_types off the model takes float16, while calibration samples match the float32 original.
    private static CalibrationSample ForInputsOf(ModelProto model, CalibrationSample sample)
    {
        var halfInputs = model.Graph.Input.Where(i => i.Type?.TensorType?.ElemType == (int)DataType.Float16).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return sample with
        {
            Inputs = sample.Inputs.Select(i => halfInputs.Contains(i.Name) && i.Data is float[] values
                ? i with { ElementType = DataType.Float16, Data = Array.ConvertAll(values, v => (Half)v) }
                : i).ToList(),
        };
    }
}
