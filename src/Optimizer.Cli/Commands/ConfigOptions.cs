using System.CommandLine;

namespace Optimizer.Cli.Commands;

/// <summary>Options every command that reads compression.yaml shares, defined once.</summary>
internal static class ConfigOptions
{
    /// <summary><c>--set key.path=value</c>, repeatable: overrides that win over every YAML file (csproj item metadata uses it).</summary>
    public static Option<string[]> Overrides() => new("--set")
    {
        Description = "Override a configuration value, e.g. --set calibration.samples=64; repeat for several.",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary><c>--config FILE</c>: use this file instead of the ones found next to the model.</summary>
    public static Option<string?> ConfigFile() => new("--config", "-c")
    {
        Description = "compression.yaml to use instead of the ones found next to the model.",
    };
}
