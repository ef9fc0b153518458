using System.Collections.Generic;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Optimizer.Shared;

namespace Optimizer.Build;

/// <summary>
/// Compresses one ONNX model by running the bundled command-line tool (<c>dotnet exec Optimizer.Cli.dll @args.rsp</c>).
/// The engine runs out of process because ONNX Runtime is native code: loaded into a reused MSBuild node it would lock
/// files, keep stale native libraries and conflict between package versions.
/// </summary>
/// <remarks>
/// The CLI prints its diagnostics in MSBuild's canonical format (<c>file(line,col): error OPT2002: ...</c>), which
/// <see cref="ToolTask"/> turns into real errors and warnings whichever stream they come on. Summary lines (one per
/// model and profile) are logged at high importance, so they show at normal verbosity; everything else (report paths,
/// progress, per-pass details) at low importance, so the log stays quiet unless built with -v:d.
/// </remarks>
public class CompressModel : ToolTask
{
    /// <summary>Diagnostic code for failures of the task itself or a CLI that failed without saying why.</summary>
    public const string ToolFailureCode = "OPT9001";

    private const int RememberedOutputLines = 5;
    private readonly Queue<string> _lastOutputLines = new();

    /// <summary>Full path of <c>Optimizer.Cli.dll</c> (the package's <c>tools/cli</c> folder).</summary>
    [Required]
    public string CliPath { get; set; } = "";

    /// <summary>The ONNX model to compress.</summary>
    [Required]
    public string Model { get; set; } = "";

    /// <summary>Folder the compressed models (<c>NAME.PROFILE.onnx</c>) and their reports are written to.</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>File the CLI writes the full paths of the produced models to, one per line, once all succeeded.</summary>
    [Required]
    public string OutputsList { get; set; } = "";

    /// <summary>Explicit compression.yaml; when empty the CLI looks next to the model.</summary>
    public string? Config { get; set; }

    /// <summary>Profiles to produce; when empty the CLI chooses (the YAML's profiles, else cpu-int8 and gpu-fp16).</summary>
    public string[]? Profiles { get; set; }

    /// <summary>
    /// Item metadata <c>ConfigOverrides</c>: <c>key.path=value</c> entries (semicolon-separated) that win over every
    /// compression.yaml, e.g. <c>calibration.samples=64;budgets.min_cosine=0.99</c>.
    /// </summary>
    public string[]? ConfigOverrides { get; set; }

    /// <summary>Folder of calibration samples; when empty the CLI generates synthetic inputs (and warns).</summary>
    public string? Calibration { get; set; }

    /// <summary>Base name of the outputs; when empty the CLI uses the model's file name without extension.</summary>
    public string? OutputName { get; set; }

    /// <summary>Asks the CLI for per-pass detail and progress lines (logged at low importance, visible with -v:d).</summary>
    public bool Verbose { get; set; }

    /// <summary>Report broken budgets as warnings and write the models anyway (property <c>CompressModelsBudgetsAsWarnings</c>).</summary>
    public bool BudgetsAsWarnings { get; set; }

    /// <summary>File the CLI writes one line per produced model to, which <see cref="ResolveCompressedModels"/> turns into the manifest.</summary>
    public string? ManifestEntries { get; set; }

    /// <summary>
    /// File the CLI writes every file besides the model that the result depends on to (YAML layers, calibration and
    /// validation samples, external data), one full path a line, plus the folders samples were chosen from; the targets
    /// read it back as Inputs of the next build, and the cache records the hashes of what it names.
    /// </summary>
    public string? DependenciesList { get; set; }

    /// <summary>
    /// Content-addressed cache folder (<c>CompressModelsCacheDir</c>); empty disables it. Needs <see cref="ManifestEntries"/>,
    /// which is how a cached result is described, and <see cref="DependenciesList"/>, which is what it is checked against.
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// Bytes the cache folder may take (<c>CompressModelsCacheMaxSize</c>, parsed by <see cref="CompressModelBatch"/>);
    /// after storing a result, the least recently used others are evicted to stay under it. 0 (the default): no limit.
    /// </summary>
    public long CacheMaxSize { get; set; }

    /// <summary>The YAML and calibration files the targets know the result depends on before running, hashed into the cache key.</summary>
    public ITaskItem[] Dependencies { get; set; } = [];

    /// <summary>
    /// Put before each detail line (e.g. <c>net.onnx: </c>) when several models are compressed at once
    /// (<see cref="CompressModelBatch"/>), so interleaved progress still says which model it is about.
    /// </summary>
    internal string? DetailPrefix { get; set; }

    /// <inheritdoc />
    protected override string ToolName => DotnetHost.ExecutableName;

    /// <inheritdoc />
    protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.High;

    /// <inheritdoc />
    protected override MessageImportance StandardErrorLoggingImportance => MessageImportance.Normal;

    /// <inheritdoc />
    protected override Encoding ResponseFileEncoding => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The arguments the CLI gets, in order, before quoting.</summary>
    internal IReadOnlyList<CliArgument> BuildArguments() => CliArguments.ForCompress(
        model: Model,
        profiles: Profiles,
        config: Config,
        configOverrides: ConfigOverrides,
        calibration: Calibration,
        outputDirectory: OutputDirectory,
        outputName: OutputName,
        outputsList: OutputsList,
        verbose: Verbose,
        manifestEntries: ManifestEntries,
        budgetsAsWarnings: BudgetsAsWarnings,
        dependenciesList: DependenciesList);

    /// <inheritdoc />
    public override bool Execute()
    {
        if (string.IsNullOrEmpty(CacheDirectory) || string.IsNullOrEmpty(ManifestEntries) || string.IsNullOrEmpty(DependenciesList))
        {
            return Compress();
        }

        var modelDirectory = Path.GetDirectoryName(Path.GetFullPath(Model))!;
        var cache = new CompressionCache(CacheDirectory!);
        string key;
        IDisposable held;
        try
        {
            key = CompressionCache.Key(CliPath, Model, CacheOptions(modelDirectory), Dependencies.Select(d => d.GetMetadata("FullPath")));
            held = cache.Lock(key, TimeSpan.FromMinutes(30));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A cache is an optimization: when its folder cannot be used, compress as if there were none.
            Log.LogMessage(MessageImportance.Normal, $"Optimizer cache '{cache.Directory}' unavailable ({ex.Message}); compressing without it.");
            return Compress();
        }

        using (held)
        {
            List<ManifestEntry>? restored = null;
            Guarded(cache, "could not restore a result", () => restored = cache.TryRestore(key, modelDirectory, OutputDirectory, OutputsList, ManifestEntries!, DependenciesList!));
            if (restored is not null)
            {
                foreach (var entry in restored)
                {
                    Log.LogMessage(MessageImportance.High, $"{Path.GetFileName(Model)} -> {entry.Path}  (from cache {key.Substring(0, 12)}, {entry.Profile})");
                }

                return true;
            }

            if (!Compress())
            {
                return false;
            }

            string? stored = null;
            Guarded(cache, "could not store the result", () => stored = cache.Store(key, modelDirectory, ManifestEntries!, DependenciesList!));
            if (stored is not null && CacheMaxSize > 0)
            {
                Guarded(cache, "could not evict old results", () => LogEvictions(cache, CacheEviction.Run(cache, key, stored, CacheMaxSize)));
            }

            return true;
        }
    }

    private void LogEvictions(CompressionCache cache, EvictionResult result)
    {
        var limit = ByteSize.Format(CacheMaxSize);
        foreach (var entry in result.Evicted)
        {
            Log.LogMessage(MessageImportance.Normal,
                $"Optimizer cache '{cache.Directory}': evicted {entry.Key.Substring(0, 12)}/{Path.GetFileName(entry.Path)} ({ByteSize.Format(entry.Bytes)}, last used {entry.LastUsedUtc:u}) to stay under CompressModelsCacheMaxSize ({limit}).");
        }

        if (result.TotalBytes > CacheMaxSize)
        {
            // Not a failure: what is left is the result just stored, or results other builds are using right now.
            Log.LogMessage(MessageImportance.Normal,
                $"Optimizer cache '{cache.Directory}' takes {ByteSize.Format(result.TotalBytes)}, over CompressModelsCacheMaxSize ({limit}): the rest is the result just stored or in use by other builds.");
        }
    }

    // A cache is an optimization: a cache folder that cannot be read or written costs a compression, never the build.
    private void Guarded(CompressionCache cache, string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.LogMessage(MessageImportance.Normal, $"Optimizer cache '{cache.Directory}': {what} ({ex.Message}).");
        }
    }

    // Everything besides file contents that changes the result. Paths are relative to the model's folder, so another
    // checkout of the same tree gets the same key; files found only by the run (a YAML `calibration.data` folder
    // elsewhere, external data) are checked through the entry's manifest instead.
    private IEnumerable<string> CacheOptions(string modelDirectory) =>
    [
        "profiles=" + string.Join(";", (Profiles ?? []).Select(p => p.Trim()).Where(p => p.Length > 0)),
        "name=" + (string.IsNullOrWhiteSpace(OutputName) ? Path.GetFileNameWithoutExtension(Model) : OutputName!.Trim()),
        "config=" + (string.IsNullOrWhiteSpace(Config) ? "" : RelativePath.From(modelDirectory, Config!.Trim())),
        "overrides=" + string.Join(";", (ConfigOverrides ?? []).Select(o => o.Trim())),
        "calibration=" + (string.IsNullOrWhiteSpace(Calibration) ? "" : RelativePath.From(modelDirectory, Calibration!.Trim())),
        "budgetsAsWarnings=" + BudgetsAsWarnings,
    ];

    private bool Compress()
    {
        if (!base.Execute())
        {
            return false;
        }

        if (!File.Exists(OutputsList))
        {
            LogToolFailure($"The Optimizer CLI exited successfully but did not write its outputs list '{OutputsList}'. This is a bug in the CLI; please report it.");
            return false;
        }

        return !Log.HasLoggedErrors;
    }

    /// <inheritdoc />
    protected override string GenerateFullPathToTool() => DotnetHost.Resolve();

    /// <inheritdoc />
    protected override bool ValidateParameters()
    {
        if (!File.Exists(CliPath))
        {
            LogToolFailure($"The Optimizer CLI was not found at '{CliPath}'. The Optimizer.Build package looks incomplete: clear it from the NuGet cache and restore again.");
            return false;
        }

        return base.ValidateParameters();
    }

    /// <inheritdoc />
    protected override string GenerateCommandLineCommands() =>
        // `exec` runs the dll with the host that runs the build; the CLI's runtimeconfig rolls forward to newer runtimes.
        "exec " + ResponseFile.Quote(Path.GetFullPath(CliPath));

    /// <inheritdoc />
    protected override string GenerateResponseFileCommands() => ResponseFile.Format(BuildArguments());

    /// <inheritdoc />
    protected override void LogToolCommand(string message) =>
        // The full command line is detail; the CLI's own summary is what a normal-verbosity build should show.
        Log.LogCommandLine(MessageImportance.Normal, message);

    /// <inheritdoc />
    protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
    {
        Remember(singleLine);
        // Stdout arrives at high importance: only summary lines keep it. Stderr (normal) is left alone: what the CLI
        // prints there besides canonical diagnostics is a failure's detail, which a normal-verbosity log should show.
        var importance = messageImportance != MessageImportance.High ? messageImportance
            : ToolOutput.IsSummaryLine(singleLine) ? MessageImportance.High
            : MessageImportance.Low;
        var line = importance == MessageImportance.Low && DetailPrefix is not null && singleLine.Length > 0 ? DetailPrefix + singleLine.TrimStart() : singleLine;
        base.LogEventsFromTextOutput(line, importance);
    }

    /// <inheritdoc />
    protected override bool HandleTaskExecutionErrors()
    {
        if (Log.HasLoggedErrors)
        {
            // The CLI already explained the failure with a coded error; a second, generic one would only be noise.
            return false;
        }

        var tail = _lastOutputLines.Count == 0 ? "" : " Last output: " + string.Join(" | ", _lastOutputLines);
        LogToolFailure($"The Optimizer CLI failed with exit code {ExitCode} without reporting an error.{tail}");
        return false;
    }

    private void LogToolFailure(string message) =>
        Log.LogError(subcategory: null, errorCode: ToolFailureCode, helpKeyword: null, file: Model,
            lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: message);

    private void Remember(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        _lastOutputLines.Enqueue(line.Trim());
        while (_lastOutputLines.Count > RememberedOutputLines)
        {
            _lastOutputLines.Dequeue();
        }
    }
}
