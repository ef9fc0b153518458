using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Optimizer.Shared;

namespace Optimizer.Build;

/// <summary>
/// Compresses the out-of-date models of a project concurrently, up to <see cref="MaxParallel"/> CLI processes at a
/// time (property <c>CompressModelsMaxParallel</c>). Each model is one <see cref="CompressModel"/> run, so each keeps its
/// own diagnostics (coded errors name its files), its cache entry and its stamp: a model that fails gets no stamp and
/// is retried by the next build, while the models that succeeded beside it are stamped and stay up to date.
/// </summary>
/// <remarks>
/// Why the task and not MSBuild batching: target batches run one after another, and <c>BuildInParallel</c> needs a
/// project instance per model (a re-evaluation each) and follows <c>-m</c>'s node count rather than a limit of its own.
/// The up-to-date check stays in MSBuild (per-model Inputs/Outputs), which hands this task only the stale models.
/// </remarks>
public class CompressModelBatch : Microsoft.Build.Utilities.Task, ICancelableTask
{
    /// <summary>Diagnostic code for a <c>CompressModelsCacheMaxSize</c> that is not a size (matches the engine's ErrorCodes and docs/diagnostics.md).</summary>
    public const string CacheMaxSizeCode = "OPT6040";

    private readonly ConcurrentBag<CompressModel> _running = [];
    private volatile bool _canceled;

    /// <summary>Full path of <c>Optimizer.Cli.dll</c>.</summary>
    [Required]
    public string CliPath { get; set; } = "";

    /// <summary>
    /// The models to compress (item spec: the model's full path), with the metadata the targets compute:
    /// <c>OutputDirectory</c>, <c>OutputsList</c>, <c>Stamp</c>, and optionally <c>ConfigFullPath</c>, <c>ConfigOverrides</c>,
    /// <c>ProfilesToBuild</c>, <c>CalibrationFullPath</c>, <c>OutputName</c>, <c>ManifestEntries</c>, <c>DependenciesList</c>.
    /// </summary>
    [Required]
    public ITaskItem[] Models { get; set; } = [];

    /// <summary>The YAML and calibration files each model depends on, matched to it by their <c>Stamp</c> metadata (cache key inputs).</summary>
    public ITaskItem[] Dependencies { get; set; } = [];

    /// <summary>How many models are compressed at once; 0 (the default) picks <see cref="DefaultMaxParallel"/>, 1 is sequential.</summary>
    public int MaxParallel { get; set; }

    /// <summary>Asks the CLI for per-pass detail and progress lines (logged at low importance, visible with -v:d).</summary>
    public bool Verbose { get; set; }

    /// <summary>Report broken budgets as warnings and write the models anyway.</summary>
    public bool BudgetsAsWarnings { get; set; }

    /// <summary>Content-addressed cache folder; empty disables it.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// Size limit of the cache folder (<c>CompressModelsCacheMaxSize</c>): <c>2GB</c>, <c>500 MB</c> or bytes, binary
    /// units; <c>0</c> or empty: no limit. Least recently used results are evicted after each store to stay under it.
    /// </summary>
    public string? CacheMaxSize { get; set; }

    /// <summary>
    /// Half the machine's cores, at least 1 and at most 4. Each CLI process keeps about two cores busy (its ONNX Runtime
    /// sessions run multi-threaded beside the .NET runtime's own work): on a 2-core machine two models at once took as
    /// long as one after the other (benchmarks/parallel-models), so concurrency starts at 4 cores. The upper bound
    /// keeps memory in check, since every process holds its model and sessions several times over.
    /// </summary>
    public static int DefaultMaxParallel => Math.Min(4, Math.Max(1, Environment.ProcessorCount / 2));

    /// <inheritdoc />
    public override bool Execute()
    {
        var cacheMaxBytes = 0L;
        if (!string.IsNullOrWhiteSpace(CacheMaxSize) && !ByteSize.TryParse(CacheMaxSize!, out cacheMaxBytes))
        {
            Log.LogError(null, CacheMaxSizeCode, null, null, 0, 0, 0, 0,
                $"CompressModelsCacheMaxSize is '{CacheMaxSize}', which is not a size. Use a byte count or a number with KB, MB, GB or TB (e.g. 500MB, 2GB); 0 means no limit.");
            return false;
        }

        var parallel = Math.Max(1, Math.Min(MaxParallel > 0 ? MaxParallel : DefaultMaxParallel, Models.Length));
        Log.LogMessage(MessageImportance.Low, $"Compressing {Models.Length} model(s), up to {parallel} at a time (CompressModelsMaxParallel).");

        var failed = 0;
        // The CLI processes do the work: release the node to other projects meanwhile (logging stays allowed).
        var engine3 = BuildEngine as IBuildEngine3;
        engine3?.Yield();
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = parallel };
            // NoBuffering hands out one model at a time, so a long model never holds back the queue behind it.
            Parallel.ForEach(Partitioner.Create(Models, EnumerablePartitionerOptions.NoBuffering), options, model =>
            {
                if (_canceled || !Compress(model, describeModel: parallel > 1, cacheMaxBytes))
                {
                    Interlocked.Increment(ref failed);
                }
            });
        }
        finally
        {
            engine3?.Reacquire();
        }

        return failed == 0 && !Log.HasLoggedErrors;
    }

    /// <inheritdoc />
    public void Cancel()
    {
        _canceled = true;
        foreach (var run in _running)
        {
            run.Cancel();
        }
    }

    /// <summary>The task that compresses <paramref name="model"/>; tests replace it with one that does not launch a process.</summary>
    protected virtual CompressModel CreateRun(ITaskItem model) => new();

    private bool Compress(ITaskItem model, bool describeModel, long cacheMaxBytes)
    {
        var run = CreateRun(model);
        run.BuildEngine = BuildEngine;
        run.HostObject = HostObject;
        run.CliPath = CliPath;
        run.Model = model.ItemSpec;
        run.Config = Metadata(model, "ConfigFullPath");
        run.ConfigOverrides = List(Metadata(model, "ConfigOverrides"));
        run.Profiles = List(Metadata(model, "ProfilesToBuild"));
        run.Calibration = Metadata(model, "CalibrationFullPath");
        run.OutputDirectory = model.GetMetadata("OutputDirectory");
        run.OutputName = Metadata(model, "OutputName");
        run.OutputsList = model.GetMetadata("OutputsList");
        run.ManifestEntries = Metadata(model, "ManifestEntries");
        run.DependenciesList = Metadata(model, "DependenciesList");
        run.Verbose = Verbose;
        run.BudgetsAsWarnings = BudgetsAsWarnings;
        run.CacheDirectory = CacheDirectory;
        run.CacheMaxSize = cacheMaxBytes;
        run.Dependencies = DependenciesOf(model);
        // Concurrent runs interleave their detail lines; naming the model keeps each line attributable.
        run.DetailPrefix = describeModel ? Path.GetFileName(model.ItemSpec) + ": " : null;
        _running.Add(run);
        if (_canceled)
        {
            return false;
        }

        bool succeeded;
        try
        {
            succeeded = run.Execute();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Log.LogError(subcategory: null, errorCode: CompressModel.ToolFailureCode, helpKeyword: null, file: model.ItemSpec,
                lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                message: $"Compressing the model failed: {ex.Message}");
            return false;
        }

        if (succeeded)
        {
            // The stamp says "this model's outputs are current"; only a success may write it.
            var stamp = model.GetMetadata("Stamp");
            Directory.CreateDirectory(Path.GetDirectoryName(stamp)!);
            File.WriteAllText(stamp, "");
        }

        return succeeded;
    }

    private ITaskItem[] DependenciesOf(ITaskItem model)
    {
        var stamp = model.GetMetadata("Stamp");
        return Dependencies.Where(d => string.Equals(d.GetMetadata("Stamp"), stamp, StringComparison.OrdinalIgnoreCase)).ToArray();
    }

    private static string? Metadata(ITaskItem item, string name)
    {
        var value = item.GetMetadata(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    private static string[]? List(string? value) =>
        value?.Split([';'], StringSplitOptions.RemoveEmptyEntries).Select(v => v.Trim()).Where(v => v.Length > 0).ToArray();
}
