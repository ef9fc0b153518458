using System.CommandLine;
using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimizer init [MODEL]</c>: write a commented starter compression.yaml next to a model.</summary>
internal static class InitCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<string?>("model") { Description = "The ONNX model the file is for (optional).", Arity = ArgumentArity.ZeroOrOne };
        var outputPath = new Option<string?>("--output", "-o") { Description = "Where to write the file (default: compression.yaml next to the model, or in the current folder)." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file." };
        var command = new Command("init", "Write a commented starter compression.yaml, with the model's inputs listed.") { model, outputPath, force };
        command.SetAction(result => CommandLine.Guarded(error, () =>
        {
            var modelPath = result.GetValue(model);
            var directory = modelPath is null ? Environment.CurrentDirectory : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
            var target = Path.GetFullPath(result.GetValue(outputPath) ?? Path.Combine(directory, ConfigLocator.FolderFileName));
            if (File.Exists(target) && !result.GetValue(force))
            {
                throw new OptimizerException(ErrorCodes.InvalidArguments, $"'{target}' already exists; pass --force to overwrite it.", target);
            }

            var schema = Path.Combine(AppContext.BaseDirectory, ConfigSchema.FileName);
            var text = ConfigTemplate.Create(
                modelPath is null ? null : ModelFile.Load(modelPath),
                modelPath is null ? null : Path.GetFileName(modelPath),
                File.Exists(schema) ? new Uri(schema).AbsoluteUri : null,
                Directory.Exists(Path.Combine(directory, "calibration")));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            AtomicFile.Write(target, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
            output.WriteLine($"Wrote {target}");
            return 0;
        }));
        return command;
    }
}
