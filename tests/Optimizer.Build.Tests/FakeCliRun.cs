using System.Text;
using Microsoft.Build.Framework;

namespace Optimizer.Build.Tests;

/// <summary>
/// A <see cref="CompressModel"/> that does not launch a process: it records what would have been run and replays
/// scripted CLI output through the same logging path real output takes.
/// </summary>
internal sealed class FakeCliRun : CompressModel
{
    private readonly List<(string Line, bool OnStdErr)> _output = [];

    public string? PathToTool { get; private set; }

    public string? ResponseFileText { get; private set; }

    public string? CommandLine { get; private set; }

    public int ExitCodeToReturn { get; set; }

    public bool WriteOutputsList { get; set; } = true;

    /// <summary>The lines the pretend CLI writes to <see cref="CompressModel.DependenciesList"/>: the files (and folders, ending with '/') it read.</summary>
    public List<string> FilesRead { get; } = [];

    /// <summary>How long the pretend CLI process runs, so concurrent runs overlap measurably.</summary>
    public TimeSpan Duration { get; set; }

    /// <summary>
    /// When set, the pretend process signals it and then waits for every other run sharing it: passing the rendezvous
    /// proves the runs were alive at the same time without relying on timing (a loaded CI machine can delay a start).
    /// </summary>
    public CountdownEvent? Rendezvous { get; set; }

    /// <summary>True when <see cref="Rendezvous"/> was set and every run arrived before the timeout.</summary>
    public bool MetTheOthers { get; private set; }

    /// <summary>When the pretend process started and ended (UTC), for overlap checks.</summary>
    public (DateTime Started, DateTime Ended)? Ran { get; private set; }

    public Encoding ResponseEncoding => ResponseFileEncoding;

    public FakeCliRun Stdout(string line)
    {
        _output.Add((line, false));
        return this;
    }

    public FakeCliRun Stderr(string line)
    {
        _output.Add((line, true));
        return this;
    }

    protected override int ExecuteTool(string pathToTool, string responseFileCommands, string commandLineCommands)
    {
        PathToTool = pathToTool;
        ResponseFileText = responseFileCommands;
        CommandLine = commandLineCommands;
        var started = DateTime.UtcNow;
        Thread.Sleep(Duration);
        if (Rendezvous is not null)
        {
            Rendezvous.Signal();
            MetTheOthers = Rendezvous.Wait(TimeSpan.FromSeconds(60));
        }

        foreach (var (line, onStdErr) in _output)
        {
            LogEventsFromTextOutput(line, onStdErr ? StandardErrorLoggingImportance : StandardOutputLoggingImportance);
        }

        if (ExitCodeToReturn == 0 && WriteOutputsList)
        {
            if (DependenciesList is not null)
            {
                File.WriteAllText(DependenciesList, string.Concat(FilesRead.Select(f => f + "\n")));
            }

            var model = Path.Combine(OutputDirectory, "net.cpu-int8.onnx");
            File.WriteAllText(OutputsList, model + "\n");
            if (ManifestEntries is not null)
            {
                // What the real CLI leaves beside the list: the model, its report and the manifest entry describing it.
                File.WriteAllText(model, "int8 model");
                File.WriteAllText(Path.Combine(OutputDirectory, "net.cpu-int8.report.json"), "{}");
                File.WriteAllText(ManifestEntries, $"# optimizer manifest entries v1\ncpu-int8\tCPUExecutionProvider\t{model}\t10\tab12\t0.999\t0.98\n");
            }
        }

        Ran = (started, DateTime.UtcNow);
        return ExitCodeToReturn;
    }
}
