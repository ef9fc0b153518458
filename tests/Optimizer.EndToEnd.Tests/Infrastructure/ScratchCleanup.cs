namespace Optimizer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Deletes the run's scratch folder (feed, packages and scenario copies: hundreds of MB, mostly ONNX Runtime's native
/// libraries in each sample's bin/) after a run in which every end-to-end test passed; after a failure it is kept so
/// the binary logs named in the failure messages can be opened. Also removes scratch folders of runs over a day old.
/// </summary>
[TestClass]
public static class ScratchCleanup
{
    private static int _failures;

    /// <summary>Called by a test that failed, so its logs survive the run.</summary>
    public static void KeepForDiagnosis() => Interlocked.Increment(ref _failures);

    /// <summary>Removes scratch folders older than a day that earlier runs kept.</summary>
    [AssemblyInitialize]
    public static void RemoveStaleRuns(TestContext context)
    {
        var parent = Path.Combine(Path.GetTempPath(), "optimizer-e2e");
        if (!Directory.Exists(parent))
        {
            return;
        }

        foreach (var run in Directory.GetDirectories(parent).Where(d => Directory.GetLastWriteTimeUtc(d) < DateTime.UtcNow.AddDays(-1)))
        {
            TryDelete(run);
        }
    }

    /// <summary>Deletes this run's scratch folder unless a test failed.</summary>
    [AssemblyCleanup]
    public static void RemoveThisRun()
    {
        if (PackageFeed.IsCreated && _failures == 0)
        {
            TryDelete(PackageFeed.Get().RunDirectory);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Scratch space only: a folder that cannot be deleted now is retried as stale by a later run.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
