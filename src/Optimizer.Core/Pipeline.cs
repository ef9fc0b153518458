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
    /// <summary>
    /// The files and folders besides the model that the latest <see cref="Run"/> read (YAML layers, samples, external
    /// data), as far as it got: what a build must watch, and a cache must check, for the result to stay current.
    /// </summary>
    public CompressionInputs InputsRead { get; private set; } = new();

    /// <summary>Runs every profile of <paramref name="request"/>; throws <see cref="OptimizerException"/> on the first failure.</summary>
    public IReadOnlyList<ProfileOutcome> Run(CompressionRequest request)
    {
        var started = Stopwatch.StartNew();
        InputsRead = new CompressionInputs();
        var modelPath = Path.GetFullPath(request.ModelPath);
        var config = ConfigLocator.LoadFor(modelPath, request.ConfigPath, request.ConfigOverrides);
        InputsRead.AddFiles(config.SourceFiles);
        var profiles = ProfileResolver.Resolve(config, request.Profiles);
        CheckOutputOptions(request, profiles);

        (ModelProto? original, var originalBytes, var dataFiles) = ModelFile.LoadWithDataFiles(modelPath);
        InputsRead.AddFiles(dataFiles);
        diagnostics.Detail($"Loaded {modelPath} ({ConfigValues.FormatSize(originalBytes)}, opset {Opsets.DefaultDomainVersion(original)}).");

        var calibration = CalibrationDataLoader.Load(original, CalibrationDirectory(request, config, modelPath), config.Calibration.Samples,
            new ScopedSink(diagnostics, modelPath), images: config.Calibration.Images);
        // A separate validation set, when configured, is what fidelity (the report's and the accuracy fallback's) is measured on.
        var validation = config.Calibration.ValidationData is { } validationData
            ? CalibrationDataLoader.Load(original, ConfiguredFolder.Require(validationData, config.Calibration.ValidationDataAt, "calibration.validation_data"),
                config.Calibration.Samples, new ScopedSink(diagnostics, modelPath), images: config.Calibration.Images)
            : null;
        InputsRead.Add(calibration);
        if (validation is not null)
        {
            InputsRead.Add(validation);
        }

        var verificationSamples = (validation ?? calibration).Samples;
        diagnostics.Detail($"Running the original model on {verificationSamples.Count} {(validation is null ? "" : "validation ")}samples (reference outputs)...");
        var reference = FidelityVerifier.ReferenceOutputs(original, verificationSamples);
        var originalLatency = TimeLargeOriginal(original, calibration, profiles);
        var setupSeconds = started.Elapsed.TotalSeconds;
        var configHash = ConfigHash(config, request.ConfigOverrides);
        var originalGzip = new Lazy<long>(() => ModelSizes.Of(original!).CompressedBytes);

        var outcomes = new List<ProfileOutcome>();
        foreach (var profile in profiles)
        {
            var profileStarted = Stopwatch.StartNew();
            diagnostics.Detail($"[{profile.Name}] profile {outcomes.Count + 1}/{profiles.Count}");
            var cacheDirectory = Path.Combine(Path.GetDirectoryName(OutputPath(request, modelPath, profile.Name))!, ".optimizer-cache");
            // A large original, timed above, is handed to the last profile itself rather than copied (and no longer
            // referenced here): its weights are freed as the passes replace them instead of staying in memory through
            // verification and timing. Its gzip size, which pruning reports, is measured before the passes change it.
            var handOver = originalLatency is not null && outcomes.Count == profiles.Count - 1;
            if (handOver && profile.Pruning is not null)
            {
                _ = originalGzip.Value;
            }

            var (optimized, passReports) = RunPasses(handOver ? Interlocked.Exchange(ref original, null)! : original!.Clone(),
                profile, calibration, validation, config.Calibration, cacheDirectory, modelPath);
            StampMetadata(optimized, profile, passReports, configHash);

            var verification = VerificationPaths.For(profile);
            diagnostics.Detail($"[{profile.Name}] verifying against the original on {verificationSamples.Count} samples...");
            var fidelity = FidelityVerifier.Verify(reference, optimized, verificationSamples, verification);
            // ORT's CPU provider has no bfloat16 arithmetic kernels, so a bfloat16 model cannot be timed on this machine.
            var latency = verification == VerificationPath.Bfloat16Emulation ? null : MeasureLatency(original, originalLatency, optimized, calibration, profile.Name);
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
                ValidationSource = validation?.Source,
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
    private LatencyReport? MeasureLatency(ModelProto? original, LatencyTiming? originalLatency, ModelProto optimized, CalibrationSet calibration, string profile)
    {
        if (calibration.Samples.Count == 0)
        {
            return null;
        }

        diagnostics.Detail($"[{profile}] measuring latency (about 1 s)...");
        var latency = originalLatency is not null
            ? LatencyMeter.Compare(originalLatency, optimized, calibration.Samples[0], TimeSpan.FromSeconds(1))
            : LatencyMeter.Compare(original!, optimized, calibration.Samples[0], TimeSpan.FromSeconds(1));
        diagnostics.Detail(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{profile}] latency {latency.OriginalMilliseconds:0.###} ms -> {latency.OptimizedMilliseconds:0.###} ms ({latency.Ratio:0.00}x, median of {latency.Rounds} single-thread runs)"));
        return latency;
    }

    // A model too large to interleave (LatencyMeter.Interleaves) is timed alone, once, before any profile: its sessions
    // and the profiles' are then never in memory together, and the profiles need not keep the original to time it.
    private LatencyTiming? TimeLargeOriginal(ModelProto model, CalibrationSet calibration, IReadOnlyList<ResolvedProfile> profiles)
    {
        if (calibration.Samples.Count == 0 || LatencyMeter.Interleaves(model) || profiles.All(p => VerificationPaths.For(p) == VerificationPath.Bfloat16Emulation))
        {
            return null;
        }

        diagnostics.Detail("Timing the original model alone (large model; about 1 s)...");
        return LatencyMeter.Alone(model, calibration.Samples[0], TimeSpan.FromSeconds(1));
    }

    private (ModelProto Model, IReadOnlyList<PassReport> Reports) RunPasses(
        ModelProto model, ResolvedProfile profile, CalibrationSet calibration, CalibrationSet? validation, CalibrationSettings calibrationSettings, string cacheDirectory,
        string modelPath)
    {
        var reports = new List<PassReport>();
        var sink = new ScopedSink(diagnostics, modelPath, profile.Name);
        foreach (var pass in ProfilePasses.Create(profile, calibrationSettings, cacheDirectory))
        {
            var context = new PassContext(calibration, sink) { Validation = validation };
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
            return ConfiguredFolder.Require(config.Calibration.Data, config.Calibration.DataAt, "calibration.data");
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
