namespace Optimizer.Build.Tests;

/// <summary>A temporary folder with a space and a non-ASCII letter in its path, where quoting bugs would show.</summary>
internal sealed class TaskFolder : IDisposable
{
    public TaskFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "optimizer build tests", "modèles " + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        CliPath = Write("tools/cli/Optimizer.Cli.dll", "not really a dll");
        ModelPath = Write("models/net.onnx", "model");
        OutputDirectory = Path.Combine(Root, "obj", "compressed", "models");
        Directory.CreateDirectory(OutputDirectory);
    }

    public string Root { get; }

    public string CliPath { get; }

    public string ModelPath { get; }

    public string OutputDirectory { get; }

    public string OutputsList => Path.Combine(OutputDirectory, "net.outputs.txt");

    public string Write(string relativePath, string content)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A task wired to this folder's files, logging into <paramref name="engine"/>.</summary>
    public FakeCliRun NewTask(RecordingBuildEngine engine) => new()
    {
        BuildEngine = engine,
        CliPath = CliPath,
        Model = ModelPath,
        OutputDirectory = OutputDirectory,
        OutputsList = OutputsList,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; failing the test over it would hide the real result.
        }
    }
}
