using System.CommandLine;
using Optimizer.Core.Config;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimizer inspect MODEL</c>: what a model contains, before deciding how to compress it.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<string>("model") { Description = "The ONNX model to describe." };
        var nodes = new Option<bool>("--nodes") { Description = "Also list the main graph's nodes by name (what quantization.exclude_nodes and pruning.exclude take), with their weights' shapes." };
        var ops = new Option<string[]>("--op")
        {
            Description = "List only nodes of this op type (implies --nodes); repeat for several, e.g. --op Conv --op Gemm.",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("inspect", "Show a model's inputs, outputs, opsets, op histogram, parameter count and size.") { model, nodes, ops };
        command.SetAction(result => CommandLine.Guarded(error, () =>
        {
            var path = Path.GetFullPath(result.GetRequiredValue(model));
            var loaded = ModelFile.Load(path);
            var summary = ModelSummary.Of(loaded);
            output.WriteLine($"Model:      {path} ({ConfigValues.FormatSize(new FileInfo(path).Length)})");
            output.WriteLine($"Producer:   {summary.Producer}");
            output.WriteLine($"IR version: {summary.IrVersion}");
            output.WriteLine($"Opsets:     {string.Join(", ", summary.Opsets.Select(o => $"{(o.Domain.Length == 0 ? "ai.onnx" : o.Domain)} {o.Version}"))}");
            output.WriteLine("Inputs:");
            foreach (var io in summary.Inputs)
            {
                output.WriteLine($"  {io}");
            }

            output.WriteLine("Outputs:");
            foreach (var io in summary.Outputs)
            {
                output.WriteLine($"  {io}");
            }

            output.WriteLine($"Parameters: {summary.Parameters:N0} in {summary.WeightTensors} tensors ({ConfigValues.FormatSize(summary.WeightBytes)})");
            output.WriteLine($"Nodes:      {summary.Nodes} ({summary.SubgraphNodes} inside subgraphs)");
            output.WriteLine("Ops:");
            foreach (var (op, count) in summary.OpHistogram)
            {
                output.WriteLine($"  {op,-28} {count,6}");
            }

            var onlyOps = result.GetValue(ops) ?? [];
            if (result.GetValue(nodes) || onlyOps.Length > 0)
            {
                WriteNodes(output, loaded, onlyOps);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>
    /// One line per main-graph node (Constant nodes left out, they hold weights): its name, op type and the shapes of
    /// the weights it reads, the names configuration files refer to nodes by.
    /// </summary>
    private static void WriteNodes(TextWriter output, ModelProto model, string[] onlyOps)
    {
        // Weights live in initializers or, as some exporters write them, in Constant nodes.
        var weights = model.Graph.Initializer.ToDictionary(i => i.Name, i => i.Dims, StringComparer.Ordinal);
        foreach (var node in model.Graph.Node.Where(n => n.OpType == "Constant"))
        {
            if (node.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } constant)
            {
                weights[node.Output[0]] = constant.Dims;
            }
        }

        var listed = model.Graph.Node.Where(n => n.OpType != "Constant" && (onlyOps.Length == 0 || onlyOps.Contains(n.OpType, StringComparer.OrdinalIgnoreCase))).ToList();
        output.WriteLine(onlyOps.Length == 0 ? "Nodes:" : $"Nodes ({string.Join(", ", onlyOps)}):");
        foreach (var node in listed)
        {
            var shapes = node.Input.Where(weights.ContainsKey).Select(i => $"[{string.Join(", ", weights[i])}]");
            var name = node.Name.Length > 0 ? node.Name : $"(unnamed, output {node.Output.FirstOrDefault()})";
            output.WriteLine($"  {name,-40} {node.OpType,-20} {string.Join(" ", shapes)}".TrimEnd());
        }

        if (listed.Count == 0)
        {
            output.WriteLine("  (none)");
        }
    }
}
