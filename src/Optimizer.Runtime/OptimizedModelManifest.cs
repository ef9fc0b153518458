using System.Text.Json;

namespace Optimizer.Runtime;

/// <summary>
/// The <c>optimized-models.json</c> the build wrote into the app's output, and the choice of the best model for this
/// machine: the optimized model for the most capable available execution provider (CUDA FP16 when the CUDA provider
/// is available, else CPU INT8), else the original model.
/// </summary>
/// <example>
/// <code>
/// var manifest = OptimizedModelManifest.LoadFromAppDirectory();
/// var choice = manifest.Choose("models/net.onnx", OrtEnv.Instance().GetAvailableProviders());
/// using var session = new InferenceSession(choice.Path, optionsFor(choice.ExecutionProvider));
/// </code>
/// </example>
public sealed class OptimizedModelManifest
{
    /// <summary>The manifest's file name in the output folder.</summary>
    public const string FileName = "optimized-models.json";

    /// <summary>The CPU provider every ONNX Runtime build has; the original model is meant for it.</summary>
    public const string CpuProvider = "CPUExecutionProvider";

    /// <summary>
    /// Providers from most to least preferred when several fit: GPU providers before the CPU. A provider not listed
    /// ranks last, so it is chosen only when nothing listed fits.
    /// </summary>
    public static IReadOnlyList<string> DefaultPreference { get; } =
        ["TensorrtExecutionProvider", "CUDAExecutionProvider", "ROCMExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider", CpuProvider];

    private const int SupportedVersion = 1;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private OptimizedModelManifest(string baseDirectory, IReadOnlyList<OptimizedModel> models)
    {
        BaseDirectory = baseDirectory;
        Models = models;
    }

    /// <summary>The folder that manifest paths are relative to (the app's output folder).</summary>
    public string BaseDirectory { get; }

    /// <summary>Every model file listed, in manifest order.</summary>
    public IReadOnlyList<OptimizedModel> Models { get; }

    /// <summary>Reads the manifest at <paramref name="path"/>; paths in it are relative to its folder.</summary>
    /// <exception cref="InvalidDataException">The file is not a manifest of a version this library reads.</exception>
    public static OptimizedModelManifest Load(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        ManifestDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<ManifestDocument>(File.ReadAllText(fullPath), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{fullPath}' is not a valid {FileName}: {ex.Message}", ex);
        }

        if (document is null || document.Version != SupportedVersion || document.Models is null)
        {
            throw new InvalidDataException($"'{fullPath}' is not a version {SupportedVersion} {FileName} (found version {document?.Version}); update Optimizer.Runtime to match Optimizer.Build.");
        }

        return new OptimizedModelManifest(System.IO.Path.GetDirectoryName(fullPath)!, document.Models);
    }

    /// <summary>
    /// The manifest in the app's folder (<see cref="AppContext.BaseDirectory"/>), or an empty one when the build wrote
    /// none (e.g. the package is not referenced), so <see cref="Choose"/> falls back to the original models.
    /// </summary>
    public static OptimizedModelManifest LoadFromAppDirectory()
    {
        var path = System.IO.Path.Combine(AppContext.BaseDirectory, FileName);
        return File.Exists(path) ? Load(path) : new OptimizedModelManifest(AppContext.BaseDirectory, []);
    }

    /// <summary>
    /// The best file for <paramref name="model"/> (its path in the output, e.g. <c>models/net.onnx</c>) given the
    /// providers available here (<c>OrtEnv.Instance().GetAvailableProviders()</c>): among listed files that exist and are
    /// meant for an available provider, the most preferred provider's, an optimized one over the original; otherwise
    /// the original model's path.
    /// </summary>
    public ModelChoice Choose(string model, IEnumerable<string> availableProviders, IReadOnlyList<string>? preference = null)
    {
        var key = Normalize(model);
        var available = new HashSet<string>(availableProviders, StringComparer.Ordinal);
        var order = preference ?? DefaultPreference;
        var best = Models
            .Where(m => Normalize(m.Model) == key && available.Contains(m.ExecutionProvider) && File.Exists(FullPath(m.File)))
            .OrderBy(m => Rank(order, m.ExecutionProvider))
            .ThenBy(m => m.Profile == ModelChoice.OriginalProfile ? 1 : 0)
            .FirstOrDefault();
        return best is null
            ? new ModelChoice(FullPath(key), CpuProvider, ModelChoice.OriginalProfile)
            : new ModelChoice(FullPath(best.File), best.ExecutionProvider, best.Profile);
    }

    private static int Rank(IReadOnlyList<string> order, string provider)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == provider)
            {
                return i;
            }
        }

        return order.Count;
    }

    private string FullPath(string relative) => System.IO.Path.GetFullPath(System.IO.Path.Combine(BaseDirectory, relative.Replace('/', System.IO.Path.DirectorySeparatorChar)));

    private static string Normalize(string path)
    {
        var normalized = path.Replace('\\', '/');
        return normalized.StartsWith("./", StringComparison.Ordinal) ? normalized[2..] : normalized;
    }

    private sealed record ManifestDocument(int Version, List<OptimizedModel>? Models);
}
