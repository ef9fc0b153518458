using System.CommandLine;
using Optimizer.Core;
using Optimizer.Core.Onnx;
using Optimizer.Core.Reports;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimizer compress MODEL</c>: produce one optimized model per profile.</summary>
internal static class CompressCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<string>("model") { Description = "The ONNX model to optimize." };
        var profiles = new Option<string[]>("--profile", "-p")
        {
            Description = "Profile to produce (cpu-int8, gpu-fp16 or one defined in the configuration); repeat for several. " +
                          "Default: the configuration's profiles, else cpu-int8 and gpu-fp16.",
            AllowMultipleArgumentsPerToken = false,
        };
        var config = ConfigOptions.ConfigFile();
        var overrides = ConfigOptions.Overrides();
        var calibration = new Option<string?>("--calibration") { Description = "Folder of calibration samples (.npy or .pb)." };
        var outputPath = new Option<string?>("--output", "-o") { Description = "Output model file (one profile only)." };
        var outputDir = new Option<string?>("--output-dir") { Description = "Folder for <name>.<profile>.onnx outputs and their reports." };
        var outputName = new Option<string?>("--output-name") { Description = "Base name of output files (default: the model's name)." };
        var report = new Option<string?>("--report") { Description = "JSON report file (one profile only; with --output-dir reports go beside the models)." };
        var outputsList = new Option<string?>("--outputs-list") { Description = "File to receive the full paths of the files written (models and their external data), one per line." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print progress and what each pass did." };
        var budgetsAsWarnings = new Option<bool>("--budgets-as-warnings") { Description = "Report broken budgets as warnings and write the models anyway (exploratory builds)." };
        var dependenciesList = new Option<string?>("--dependencies-list")
        {
            Description = "File to receive every file besides the model that the result depends on (compression.yaml layers, calibration and " +
                          "validation samples, external data), one full path per line, then the folders samples were chosen from (ending with a separator).",
        };
        var manifestEntries = new Option<string?>("--manifest-entries") { Description = "File to receive one tab-separated line per model written (profile, provider, path, bytes, sha256, cosine, top-1), for the MSBuild task's optimized-models.json." };

        var command = new Command("compress", "Prune, quantize or convert a model for each profile, verify it against the original and write it.")
        {
            model, profiles, config, overrides, calibration, outputPath, outputDir, outputName, report, outputsList, dependenciesList, verbose, budgetsAsWarnings, manifestEntries,
        };
        command.SetAction(result => CommandLine.Guarded(error, () =>
        {
            var sink = new ConsoleSink(output, error, result.GetValue(verbose));
            var request = new CompressionRequest
            {
                ModelPath = result.GetRequiredValue(model),
                Profiles = result.GetValue(profiles) ?? [],
                ConfigPath = result.GetValue(config),
                ConfigOverrides = result.GetValue(overrides) ?? [],
                CalibrationDirectory = result.GetValue(calibration),
                OutputPath = result.GetValue(outputPath),
                OutputDirectory = result.GetValue(outputDir),
                OutputName = result.GetValue(outputName),
                ReportPath = result.GetValue(report),
                BudgetsAsWarnings = result.GetValue(budgetsAsWarnings),
            };

            var pipeline = new Pipeline(sink);
            var outcomes = pipeline.Run(request);
            foreach (var outcome in outcomes)
            {
                output.WriteLine(SummaryLine.Format(outcome));
                if (outcome.ReportPath is not null)
                {
                    // Indented, so the MSBuild task shows it at detailed verbosity only, under its summary line.
                    output.WriteLine($"  report: {outcome.ReportPath}, {MarkdownReport.PathFor(outcome.ReportPath)}");
                }
            }

            // Written before the outputs list, whose presence tells the MSBuild task the run completed. Only a success writes
            // it: a failed model gets no stamp, so the next build retries it whatever its dependencies.
            if (result.GetValue(dependenciesList) is { } dependenciesPath)
            {
                DependenciesList.Write(pipeline.InputsRead, dependenciesPath);
            }

            if (result.GetValue(outputsList) is { } listPath)
            {
                // A model saved with external data is two files; MSBuild must copy and clean both.
                var lines = string.Join('\n', outcomes.SelectMany(o => ModelFile.SavedFiles(o.OutputPath))) + "\n";
                AtomicFile.Write(Path.GetFullPath(listPath), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(lines)));
            }

            if (result.GetValue(manifestEntries) is { } entriesPath)
            {
                ManifestEntries.Write(outcomes, entriesPath);
            }

            return 0;
        }));
        return command;
    }
}
