using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Onnx;

/// <summary>What a model contains, as <c>optimizer inspect</c> shows it.</summary>
public sealed record ModelSummary(
    string Producer,
    long IrVersion,
    IReadOnlyList<(string Domain, long Version)> Opsets,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    long Parameters,
    int WeightTensors,
    long WeightBytes,
    int Nodes,
    int SubgraphNodes,
    IReadOnlyList<(string Op, int Count)> OpHistogram)
{
    /// <summary>Summarizes <paramref name="model"/>: weights are initializers and Constant tensors in every graph.</summary>
    public static ModelSummary Of(ModelProto model)
    {
        var graphs = ModelWalker.AllGraphs(model).ToList();
        var nodes = graphs.SelectMany(g => g.Node).ToList();
        var weights = ModelWalker.AllTensors(model).ToList();
        var initializers = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        return new ModelSummary(
            Producer: $"{model.ProducerName} {model.ProducerVersion}".Trim(),
            IrVersion: model.IrVersion,
            Opsets: model.OpsetImport.Select(o => (o.Domain ?? "", o.Version)).ToList(),
            Inputs: model.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Describe).ToList(),
            Outputs: model.Graph.Output.Select(Describe).ToList(),
            Parameters: weights.Sum(t => Math.Max(0, TensorValues.ElementCount(t.Dims))),
            WeightTensors: weights.Count,
            WeightBytes: weights.Sum(t => (long)t.RawData.Length + t.FloatData.Count * 4L + t.Int64Data.Count * 8L + t.Int32Data.Count * 4L + t.DoubleData.Count * 8L),
            Nodes: nodes.Count,
            SubgraphNodes: nodes.Count - model.Graph.Node.Count,
            OpHistogram: nodes.GroupBy(n => string.IsNullOrEmpty(n.Domain) ? n.OpType : $"{n.Domain}.{n.OpType}")
                .Select(g => (g.Key, g.Count())).OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal).ToList());
    }

    /// <summary>E.g. <c>image: float32[batch, 3, 224, 224]</c>.</summary>
    public static string Describe(ValueInfoProto info)
    {
        if (info.Type?.TensorType is not { } tensor)
        {
            return $"{info.Name}: {info.Type?.ValueCase.ToString() ?? "untyped"}";
        }

        var dims = tensor.Shape is null ? "?" : string.Join(", ", tensor.Shape.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : d.HasDimParam ? d.DimParam : "?"));
        return $"{info.Name}: {((DataType)tensor.ElemType).ToString().ToLowerInvariant()}[{dims}]";
    }
}
