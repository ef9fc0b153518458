using System.CommandLine;
using Optimizer.Core.Config;
using Optimizer.Core.Onnx;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimizer inspect MODEL</c>: what a model contains, before deciding how to compress it.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<string>("model") { Description = "The ONNX model to describe." };
        var command = new Command("inspect", "Show a model's inputs, outputs, opsets, op histogram, parameter count and size.") { model };
        command.SetAction(result => CommandLine.Guarded(error, () =>
        {
            var path = Path.GetFullPath(result.GetRequiredValue(model));
            var summary = ModelSummary.Of(ModelFile.Load(path));
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

            return 0;
        }));
        return command;
    }
}
