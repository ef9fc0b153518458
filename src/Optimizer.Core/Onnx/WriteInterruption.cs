namespace Optimizer.Core.Onnx;

/// <summary>
/// A test hook that freezes a run in the middle of writing a file, so tests can kill the process at that moment and
/// check that the previous good output survives. Inert unless <see cref="Variable"/> is set in the environment.
/// </summary>
public static class WriteInterruption
{
    /// <summary>
    /// Environment variable naming a signal file: the first staged write of a file whose name ends with the variable's
    /// suffix after '|' (any file when there is none) creates the signal file and then blocks until the process is killed.
    /// </summary>
    public const string Variable = "OPTIMIZER_TEST_PAUSE_IN_WRITE";

    /// <summary>Blocks forever, after creating the signal file, when <see cref="Variable"/> asks to pause while writing <paramref name="path"/>.</summary>
    internal static void PauseIfRequested(string path)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } value)
        {
            return;
        }

        var parts = value.Split('|', 2);
        if (parts.Length == 2 && !path.EndsWith(parts[1], StringComparison.Ordinal))
        {
            return;
        }

        File.WriteAllText(parts[0], path);
        Thread.Sleep(Timeout.Infinite);
    }
}
