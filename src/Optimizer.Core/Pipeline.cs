using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Optimizer.Core.Calibration;
using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Pruning;
using Optimizer.Core.Profiles;
using Optimizer.Core.Reports;
using Optimizer.Core.Runtime;
using Optimizer.Core.Verification;

namespace Optimizer.Core;

/// <summary>
/// Optimizes one model for each requested profile: load, calibrate once, run the profile's passes on a copy, verify the
/// result in ONNX Runtime against the original, enforce budgets, then write the model and its report atomically.
/// Nothing is written for a profile that fails, so a broken build never leaves a model an app could pick up.
/// </summary>
public sealed class Pipeline(IDiagnosticSink diagnostics)
{
    /// <summary>Runs every profile of <paramref name="request"/>; throws <see cref="OptimizerException"/> on the first failure.</summary>
    public IReadOnlyList<ProfileOutcome> Run(CompressionRequest request)
    {
        var started = Stopwatch.StartNew();
        var modelPath = Path.GetFullPath(request.ModelPath);
        var config = ConfigLocator.LoadFor(modelPath, request.ConfigPath, request.ConfigOverrides);
        var profiles = ProfileResolver.Resolve(config, request.Profiles);
        CheckOutputOptions(request, profiles);

        var (model, originalBytes) = ModelFile.LoadWithSize(modelPath);
        diagnostics.Detail($"Loaded {modelPath} ({ConfigValues.FormatSize(originalBytes)}, opset {Opsets.DefaultDomainVersion(model)}).");

        var calibration = CalibrationDataLoader.Load(model, CalibrationDirectory(request, config, modelPath), config.Calibration.Samples,
            new ScopedSink(diagnostics, modelPath), images: config.Calibration.Images);
        diagnostics.Detail($"Running the original model on {calibration.Samples.Count} samples (reference outputs)...");
        var reference = FidelityVerifier.ReferenceOutputs(model, calibration.Samples);
        var setupSeconds = started.Elapsed.TotalSeconds;
        var configHash = ConfigHash(config, request.ConfigOverrides);
        var originalGzip = new Lazy<long>(() => ModelSizes.Of(model).CompressedBytes);

        var outcomes = new List<ProfileOutcome>();
        foreach (var profile in profiles)
        {
            var profileStarted = Stopwatch.StartNew();
            diagnostics.Detail($"[{profile.Name}] profile {outcomes.Count + 1}/{profiles.Count}");
            var cacheDirectory = Path.Combine(Path.GetDirectoryName(OutputPath(request, modelPath, profile.Name))!, ".optimizer-cache");
            var (optimized, passReports) = RunPasses(model.Clone(), profile, calibration, config.Calibration, cacheDirectory, modelPath);
            StampMetadata(optimized, profile, passReports, configHash);

            var verification = VerificationPaths.For(profile);
            diagnostics.Detail($"[{profile.Name}] verifying against the original on {calibration.Samples.Count} samples...");
            var fidelity = FidelityVerifier.Verify(reference, optimized, calibration.Samples, verification);
            // ORT's CPU provider has no bfloat16 arithmetic kernels, so a bfloat16 model cannot be timed on this machine.
            var latency = verification == VerificationPath.Bfloat16Emulation ? null : MeasureLatency(model, optimized, calibration, profile.Name);
            // The size budget judges the files as written (external data included), staged beside the output: nothing
            // replaces the previous output unless every budget holds.
            var outputPath = OutputPath(request, modelPath, profile.Name);
            using var staged = ModelFile.Stage(optimized, outputPath);
            var optimizedBytes = staged.Bytes;
            var budgets = BudgetCheck.Evaluate(profile.Budgets, profile.Name, fidelity, optimizedBytes, latency);
            BudgetCheck.Enforce(budgets, request.BudgetsAsWarnings, diagnostics);
            staged.Commit();
            var report = new CompressionReport
            {
                ToolVersion = ToolVersion.Current,
                Model = modelPath,
                Profile = profile.Name,
                ExecutionProvider = profile.Base.ExecutionProvider,
                Output = outputPath,
                Config = config.SourceFile,
                OriginalBytes = originalBytes,
                OptimizedBytes = optimizedBytes,
                CalibrationSource = calibration.Source,
                SyntheticCalibration = calibration.IsSynthetic,
                Passes = passReports,
                Fidelity = fidelity,
                Verification = verification,
                Latency = latency,
                Budgets = budgets,
                Compressed = profile.Pruning is null ? null : new CompressedSizes(originalGzip.Value, ModelSizes.Of(optimized).CompressedBytes),
                // Setup (load, calibration data, reference outputs) is shared; each profile is charged its share.
                Seconds = profileStarted.Elapsed.TotalSeconds + setupSeconds / profiles.Count,
            };
            var reportPath = ReportPath(request, outputPath);
            if (reportPath is not null)
            {
                ReportWriter.Write(report, reportPath);
                MarkdownReport.Write(report, MarkdownReport.PathFor(reportPath));
            }

            outcomes.Add(new ProfileOutcome(outputPath, reportPath, report));
        }

        return outcomes;
    }

    // About a second per profile: enough interleaved single-thread runs for a stable median on small models, and at
    // least LatencyMeter.MinRounds on large ones, whose runs are long enough to time individually.
    private LatencyReport? MeasureLatency(ModelProto original, ModelProto optimized, CalibrationSet calibration, string profile)
    {
        if (calibration.Samples.Count == 0)
        {
            return null;
        }

        diagnostics.Detail($"[{profile}] measuring latency (about 1 s)...");
        var latency = LatencyMeter.Compare(original, optimized, calibration.Samples[0], TimeSpan.FromSeconds(1));
        diagnostics.Detail(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{profile}] latency {latency.OriginalMilliseconds:0.###} ms -> {latency.OptimizedMilliseconds:0.###} ms ({latency.Ratio:0.00}x, median of {latency.Rounds} single-thread runs)"));
        return latency;
    }

    private (ModelProto Model, IReadOnlyList<PassReport> Reports) RunPasses(
        ModelProto model, ResolvedProfile profile, CalibrationSet calibration, CalibrationSettings calibrationSettings, string cacheDirectory, string modelPath)
    {
        var reports = new List<PassReport>();
        var sink = new ScopedSink(diagnostics, modelPath, profile.Name);
        foreach (var pass in ProfilePasses.Create(profile, calibrationSettings, cacheDirectory))
        {
            var context = new PassContext(calibration, sink);
            var timer = Stopwatch.StartNew();
            sink.Detail($"{pass.Name}...");
            model = pass.Apply(model, context);
            reports.Add(new PassReport(pass.Name, timer.Elapsed.TotalSeconds, context.Notes));
            foreach (var note in context.Notes)
            {
                sink.Detail($"{pass.Name}: {note}");
            }
        }

        return (model, reports);
    }

    private static void StampMetadata(ModelProto model, ResolvedProfile profile, IReadOnlyList<PassReport> passes, string configHash)
    {
        ModelMetadata.Set(model, "optimizer.version", ToolVersion.Current);
        ModelMetadata.Set(model, "optimizer.profile", profile.Name);
        ModelMetadata.Set(model, "optimizer.passes", string.Join(",", passes.Select(p => p.Name)));
        ModelMetadata.Set(model, "optimizer.config_sha256", configHash);
    }

    // Hashes what the user wrote (every layer's bytes and the overrides), so two builds with the same settings stamp
    // the same value and any change to them shows.
    private static string ConfigHash(CompressionConfig config, IReadOnlyList<string> overrides)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in config.SourceFiles)
        {
            hash.AppendData(File.ReadAllBytes(file));
        }

        foreach (var assignment in overrides)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(assignment + "\n"));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string? CalibrationDirectory(CompressionRequest request, CompressionConfig config, string modelPath)
    {
        if (request.CalibrationDirectory is not null)
        {
            return Path.GetFullPath(request.CalibrationDirectory);
        }

        if (config.Calibration.Data is not null)
        {
            // Checked here rather than by the loader so the error points at the line of compression.yaml that named it.
            if (!Directory.Exists(config.Calibration.Data) && config.Calibration.DataAt is { } at)
            {
                throw new OptimizerException(ErrorCodes.CalibrationUnreadable,
                    $"calibration.data names '{config.Calibration.Data}', which does not exist; create the folder or fix the path " +
                    "(relative paths are resolved against the file that sets them).", at.File, at.Line, at.Column);
            }

            return config.Calibration.Data;
        }

        // Convention: a folder named "calibration" beside the model is used without being configured.
        var beside = Path.Combine(Path.GetDirectoryName(modelPath)!, "calibration");
        return Directory.Exists(beside) ? beside : null;
    }

    private static void CheckOutputOptions(CompressionRequest request, IReadOnlyList<ResolvedProfile> profiles)
    {
        if (request.OutputPath is not null && request.OutputDirectory is not null)
        {
            throw new OptimizerException(ErrorCodes.InvalidArguments, "Use either --output or --output-dir, not both.");
        }

        if (profiles.Count > 1 && (request.OutputPath is not null || request.ReportPath is not null))
        {
            throw new OptimizerException(ErrorCodes.InvalidArguments,
                $"--output and --report name one file, but {profiles.Count} profiles are selected ({string.Join(", ", profiles.Select(p => p.Name))}). " +
                "Select one with --profile, or use --output-dir.");
        }
    }

    private static string OutputPath(CompressionRequest request, string modelPath, string profile)
    {
        if (request.OutputPath is not null)
        {
            return Path.GetFullPath(request.OutputPath);
        }

        var directory = request.OutputDirectory ?? Path.GetDirectoryName(modelPath)!;
        var name = request.OutputName ?? Path.GetFileNameWithoutExtension(modelPath);
        return Path.GetFullPath(Path.Combine(directory, $"{name}.{profile}.onnx"));
    }

    private static string? ReportPath(CompressionRequest request, string outputPath) =>
        request.ReportPath is not null ? Path.GetFullPath(request.ReportPath)
        : request.OutputDirectory is not null ? Path.ChangeExtension(outputPath, ".report.json")
        : null;
}
