using System.CommandLine;
using Optimizer.Core.Config;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimizer config MODEL</c>: the merged configuration that applies to a model, with where each value came from.</summary>
internal static class ConfigCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<string>("model") { Description = "The ONNX model whose configuration to show." };
        var config = ConfigOptions.ConfigFile();
        var overrides = ConfigOptions.Overrides();
        var command = new Command("config", "Show the effective compression settings of a model: layers merged, profiles inherited, defaults filled in.")
        {
            model, config, overrides,
        };
        command.SetAction(result => CommandLine.Guarded(error, () =>
        {
            output.Write(EffectiveConfigWriter.Write(result.GetRequiredValue(model), result.GetValue(config), result.GetValue(overrides) ?? []));
            return 0;
        }));
        return command;
    }
}
