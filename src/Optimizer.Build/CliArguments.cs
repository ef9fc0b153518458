using System.Collections.Generic;

namespace Optimizer.Build;

/// <summary>One command-line argument; <see cref="IsPath"/> ones are made full so the CLI's working folder never matters.</summary>
internal readonly record struct CliArgument(string Value, bool IsPath = false);

/// <summary>Turns the task's inputs into the CLI's <c>compress</c> arguments (the contract in src/Optimizer.Cli).</summary>
internal static class CliArguments
{
    /// <summary>The arguments of <c>optimizer compress</c> for one model, in a stable order.</summary>
    public static IReadOnlyList<CliArgument> ForCompress(
        string model,
        IEnumerable<string>? profiles,
        string? config,
        IEnumerable<string>? configOverrides,
        string? calibration,
        string outputDirectory,
        string? outputName,
        string outputsList,
        bool verbose,
        string? manifestEntries = null,
        bool budgetsAsWarnings = false,
        string? dependenciesList = null)
    {
        var args = new List<CliArgument> { new("compress"), Path(model) };

        foreach (var profile in profiles ?? [])
        {
            if (!string.IsNullOrWhiteSpace(profile))
            {
                args.Add(new("--profile"));
                args.Add(new(profile.Trim()));
            }
        }

        AddPathOption(args, "--config", config);
        foreach (var assignment in configOverrides ?? [])
        {
            if (!string.IsNullOrWhiteSpace(assignment))
            {
                args.Add(new("--set"));
                args.Add(new(assignment.Trim()));
            }
        }

        AddPathOption(args, "--calibration", calibration);
        AddPathOption(args, "--output-dir", outputDirectory);
        if (!string.IsNullOrWhiteSpace(outputName))
        {
            args.Add(new("--output-name"));
            args.Add(new(outputName!.Trim()));
        }

        AddPathOption(args, "--outputs-list", outputsList);
        AddPathOption(args, "--manifest-entries", manifestEntries);
        AddPathOption(args, "--dependencies-list", dependenciesList);
        if (verbose)
        {
            args.Add(new("--verbose"));
        }

        if (budgetsAsWarnings)
        {
            args.Add(new("--budgets-as-warnings"));
        }

        return args;
    }

    private static void AddPathOption(List<CliArgument> args, string option, string? path)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            args.Add(new(option));
            args.Add(Path(path!));
        }
    }

    private static CliArgument Path(string path)
    {
        var full = System.IO.Path.GetFullPath(path.Trim());
        // A trailing separator would escape the closing quote in Windows-style argument parsing and means nothing to the CLI.
        return new(full.Length > 1 ? full.TrimEnd('/', '\\') : full, IsPath: true);
    }
}
