using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Optimizer.Build;

/// <summary>
/// After compression (or its up-to-date skip), decides what goes into the app's output: each compressed model with its
/// output-relative path in the chosen layout, plus <c>optimized-models.json</c> describing them. Runs in process on
/// every build, reading only the small files the CLI wrote, so an up-to-date build stays cheap; the manifest is
/// rewritten only when its content changes, so incremental copies to bin/ stay incremental too.
/// </summary>
public class ResolveCompressedModels : Microsoft.Build.Utilities.Task
{
    // The task cannot reference the engine's ErrorCodes (netstandard2.0, no engine in MSBuild); these match it and docs/diagnostics.md.

    /// <summary>Diagnostic code for an unknown <c>CompressModelsOutputLayout</c>.</summary>
    public const string UnknownLayoutCode = "OPT1022";

    /// <summary>Diagnostic code for a manifest-entries file that is missing or in a format this task does not know.</summary>
    public const string ManifestEntriesCode = "OPT9002";

    /// <summary>
    /// The models, with metadata <c>OutputName</c>, <c>TargetDir</c> (output-relative folder), <c>ModelTargetPath</c>
    /// (where the original would land), <c>ManifestEntries</c> and <c>OutputsList</c> (the files the CLI wrote).
    /// </summary>
    [Required]
    public ITaskItem[] Models { get; set; } = [];

    /// <summary>False when <c>CompressModelsEnabled=false</c>: the originals are copied and listed as profile <c>original</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>flat</c> (default) or <c>profile-folders</c>; see <see cref="OutputLayout"/>.</summary>
    public string? Layout { get; set; }

    /// <summary>Where to write <c>optimized-models.json</c>; empty when <c>CompressModelsManifest=false</c>.</summary>
    public string? ManifestPath { get; set; }

    /// <summary>The files to copy to the output, each with <c>TargetPath</c> and <c>Profile</c> metadata.</summary>
    [Output]
    public ITaskItem[] OutputFiles { get; private set; } = [];

    /// <summary>Every model the CLI produced (also when disabled), so incremental clean keeps them.</summary>
    [Output]
    public ITaskItem[] CompressedFiles { get; private set; } = [];

    /// <inheritdoc />
    public override bool Execute()
    {
        var layout = OutputLayout.Normalize(Layout);
        if (!OutputLayout.IsKnown(layout))
        {
            Log.LogError(null, UnknownLayoutCode, null, null, 0, 0, 0, 0,
                $"CompressModelsOutputLayout is '{Layout}'; expected one of: {OutputLayout.Known}.");
            return false;
        }

        var outputs = new List<ITaskItem>();
        var manifest = new List<ManifestModel>();
        foreach (var model in Models)
        {
            if (!(Enabled ? AddCompressed(model, layout, outputs, manifest) : AddOriginal(model, outputs, manifest)))
            {
                return false;
            }
        }

        CompressedFiles = Models
            .Select(m => m.GetMetadata("OutputsList"))
            .Where(File.Exists)
            .SelectMany(File.ReadAllLines)
            .Where(line => line.Length > 0)
            .Select(line => (ITaskItem)new TaskItem(line))
            .ToArray();
        OutputFiles = outputs.ToArray();
        if (!string.IsNullOrEmpty(ManifestPath))
        {
            WriteIfChanged(ManifestPath!, ManifestJson.Render(manifest));
        }

        return !Log.HasLoggedErrors;
    }

    private bool AddCompressed(ITaskItem model, string layout, List<ITaskItem> outputs, List<ManifestModel> manifest)
    {
        var entriesFile = model.GetMetadata("ManifestEntries");
        var entries = File.Exists(entriesFile) ? ManifestEntry.ParseAll(File.ReadAllLines(entriesFile)) : null;
        if (entries is null)
        {
            Log.LogError(null, ManifestEntriesCode, null, model.ItemSpec, 0, 0, 0, 0,
                $"The compressed models' description '{entriesFile}' is missing or not in the format '{ManifestEntry.Header}' (a CLI from another package version?). Rebuild, or clear obj/ if it persists.");
            return false;
        }

        foreach (var entry in entries)
        {
            var targetPath = OutputLayout.TargetPath(layout, model.GetMetadata("TargetDir"), model.GetMetadata("OutputName"), entry.Profile);
            outputs.Add(Output(entry.Path, targetPath, entry.Profile));
            manifest.Add(new ManifestModel(ModelKey(model), entry.Profile, targetPath, entry.Bytes, entry.Sha256, entry.ExecutionProvider, entry.Cosine, entry.Top1Agreement));
        }

        return true;
    }

    private static bool AddOriginal(ITaskItem model, List<ITaskItem> outputs, List<ManifestModel> manifest)
    {
        var targetPath = OutputLayout.OriginalTargetPath(model.GetMetadata("TargetDir"), model.GetMetadata("OutputName"), model.GetMetadata("Extension"));
        outputs.Add(Output(model.ItemSpec, targetPath, "original"));
        manifest.Add(new ManifestModel(ModelKey(model), "original", targetPath, new FileInfo(model.ItemSpec).Length, ContentHash.OfFile(model.ItemSpec)!,
            "CPUExecutionProvider", Cosine: 1, Top1Agreement: 1));
        return true;
    }

    private static ITaskItem Output(string path, string targetPath, string profile)
    {
        var item = new TaskItem(path);
        item.SetMetadata("TargetPath", targetPath.Replace('/', Path.DirectorySeparatorChar));
        item.SetMetadata("Profile", profile);
        return item;
    }

    // The model's name as app code knows it: where the original would sit in the output, with forward slashes.
    private static string ModelKey(ITaskItem model) => model.GetMetadata("ModelTargetPath").Replace('\\', '/');

    private static void WriteIfChanged(string path, string text)
    {
        if (File.Exists(path) && File.ReadAllText(path) == text)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }
}
