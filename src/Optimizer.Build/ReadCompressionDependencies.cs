using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Optimizer.Build;

/// <summary>
/// Reads back, for every model, the dependencies list its last compression wrote (<see cref="CompressModel.DependenciesList"/>),
/// so files only the CLI knows about (a YAML <c>calibration.data</c> folder elsewhere, validation samples, external data)
/// become Inputs of the model's up-to-date check, as a C compiler's <c>.d</c> files do for headers. A changed or deleted
/// file then makes the model stale through MSBuild's own timestamp comparison. A sample folder whose listing changed
/// after the model's stamp (a sample added or removed: MSBuild cannot take folders as Inputs) loses the stamp here.
/// </summary>
/// <remarks>
/// Runs on every build, including no-op ones: it reads small text files and the timestamps of a few folders, and never
/// hashes or starts a process. Files first seen by a run are not added to the settings file, whose change would make
/// the next build compress again although nothing changed.
/// </remarks>
public class ReadCompressionDependencies : Microsoft.Build.Utilities.Task
{
    /// <summary>The models, with metadata <c>DependenciesList</c> and <c>Stamp</c> (copied onto each dependency, for batching).</summary>
    [Required]
    public ITaskItem[] Models { get; set; } = [];

    /// <summary>The files the models' last compressions read, each with its model's <c>Stamp</c> metadata.</summary>
    [Output]
    public ITaskItem[] Dependencies { get; private set; } = [];

    /// <inheritdoc />
    public override bool Execute()
    {
        var dependencies = new List<ITaskItem>();
        foreach (var model in Models)
        {
            var recorded = RecordedDependencies.Read(model.GetMetadata("DependenciesList"));
            if (recorded is null)
            {
                continue;
            }

            var stamp = model.GetMetadata("Stamp");
            dependencies.AddRange(recorded.Files.Select(file => new TaskItem(file, new Dictionary<string, string> { ["Stamp"] = stamp })));
            var changed = File.Exists(stamp) ? recorded.Folders.FirstOrDefault(folder => ChangedSince(folder, File.GetLastWriteTimeUtc(stamp))) : null;
            if (changed is not null)
            {
                Log.LogMessage(MessageImportance.Low, $"{Path.GetFileName(model.ItemSpec)}: the samples in '{changed}' changed since the last compression.");
                File.Delete(stamp);
            }
        }

        Dependencies = dependencies.ToArray();
        return true;
    }

    // A folder's timestamp moves when an entry is created, deleted or renamed in it (on every OS the tool supports).
    private static bool ChangedSince(string folder, DateTime stampTime) =>
        !Directory.Exists(folder) || Directory.GetLastWriteTimeUtc(folder) > stampTime;
}
