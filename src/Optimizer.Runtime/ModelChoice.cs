namespace Optimizer.Runtime;

/// <summary>The model file to load and the execution provider to load it with.</summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="ExecutionProvider">The provider it is meant for (append it to the session options, or use the CPU default).</param>
/// <param name="Profile">The profile that produced it, or <c>original</c> when no optimized model fits this machine.</param>
public sealed record ModelChoice(string Path, string ExecutionProvider, string Profile)
{
    /// <summary>The profile name used for the unoptimized model.</summary>
    public const string OriginalProfile = "original";
}
