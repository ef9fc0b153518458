using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Calibration;

/// <summary>
/// One input tensor of one calibration sample: the model input it feeds, its ONNX element type, its concrete shape
/// and its values as a typed array (<c>float[]</c>, <c>long[]</c>, <c>int[]</c>, <c>byte[]</c>, <c>bool[]</c>, ...).
/// </summary>
public sealed record CalibrationTensor(string Name, TensorProto.Types.DataType ElementType, long[] Shape, Array Data);

/// <summary>One calibration sample: a value for every model input.</summary>
public sealed record CalibrationSample(string Id, IReadOnlyList<CalibrationTensor> Inputs);

/// <summary>
/// The samples calibration and verification run on, in a deterministic order. <see cref="IsSynthetic"/> is true when
/// no data was given and random inputs were generated from the model's input shapes.
/// </summary>
public sealed record CalibrationSet(IReadOnlyList<CalibrationSample> Samples, bool IsSynthetic, string? Source)
{
    /// <summary>The sample files read (full paths), so a build can tell when the samples change; empty for synthetic data.</summary>
    public IReadOnlyList<string> FilesRead { get; init; } = [];

    /// <summary>
    /// The folders whose listings chose the samples (the data folder, and each sample sub-folder used): a file added to
    /// one of them can change which samples are read, even though no file read so far changed.
    /// </summary>
    public IReadOnlyList<string> FoldersListed { get; init; } = [];
}
