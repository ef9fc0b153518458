using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Calibration;

/// <summary>
/// One input a model needs fed at run time.
/// </summary>
/// <param name="Name">The graph input name, as ONNX Runtime expects it.</param>
/// <param name="ElementType">The declared element type (<see cref="DataType.Undefined"/> when the input is not a tensor).</param>
/// <param name="Dims">
/// The declared dims, with symbolic or unknown dims (e.g. <c>batch</c>) as null; null when the model declares no shape,
/// so any rank is accepted.
/// </param>
public sealed record ModelInput(string Name, DataType ElementType, IReadOnlyList<long?>? Dims)
{
    /// <summary>The declared shape for messages, e.g. <c>[?, 3, 224, 224]</c>, or <c>unknown</c>.</summary>
    public string FormatDims() => Dims is null ? "unknown" : $"[{string.Join(", ", Dims.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"))}]";
}

/// <summary>
/// Finds the inputs a model really needs: graph inputs minus initializers. Older exporters (IR &lt; 4) list every
/// weight as a graph input too, and those must be neither read from calibration folders nor generated.
/// </summary>
public static class ModelInputs
{
    /// <summary>The model's run-time inputs in graph order.</summary>
    public static IReadOnlyList<ModelInput> Of(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return graph.Input.Where(input => !initializers.Contains(input.Name)).Select(ToModelInput).ToList();
    }

    private static ModelInput ToModelInput(ValueInfoProto input)
    {
        var tensorType = input.Type?.TensorType;
        if (tensorType is null)
        {
            return new ModelInput(input.Name, DataType.Undefined, null);
        }

        // A dim with neither value nor name is as unknown as a symbolic one; a negative dim_value is malformed, treat it alike.
        var dims = tensorType.Shape?.Dim
            .Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0 ? d.DimValue : (long?)null)
            .ToList();
        return new ModelInput(input.Name, (DataType)tensorType.ElemType, dims);
    }
}
