using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes;
using Optimizer.Core.Runtime;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>Calibration data, ORT runs and fidelity metrics shared by the quantization tests.</summary>
internal static class QuantizationTestSupport
{
    public static PassContext Context(CalibrationSet calibration, out RecordingSink sink)
    {
        sink = new RecordingSink();
        return new PassContext(calibration, sink);
    }

    /// <summary>Op types of the graph ORT actually executes, after its fusions, as saved through optimizedModelPath.</summary>
    public static List<string> OptimizedOpTypes(ModelProto model, string directory, CalibrationSet sample)
    {
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.optimized.onnx");
        ModelRuns.RunAll(model, new CalibrationSet([sample.Samples[0]], true, null), path);
        return ModelFile.Load(path).Graph.Node.Select(n => n.OpType).ToList();
    }

    public static byte[] Serialize(ModelProto model) => ModelFile.ToBytes(model);
}
