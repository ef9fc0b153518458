namespace Optimizer.Build;

/// <summary>Recognizes the CLI's output lines that a normal-verbosity build should show.</summary>
internal static class ToolOutput
{
    /// <summary>
    /// True for a summary line such as <c>net.onnx -&gt; /abs/obj/net.cpu-int8.onnx  (4.1 MB -&gt; 1.1 MB, cosine 0.9993, 2.3 s)</c>:
    /// one per model and profile, the CLI's equivalent of the compiler's <c>project -&gt; assembly</c> line.
    /// </summary>
    public static bool IsSummaryLine(string line)
    {
        var arrow = line.IndexOf(" -> ", StringComparison.Ordinal);
        return arrow > 0 && !char.IsWhiteSpace(line[0]);
    }
}
