namespace Optimizer.Core.Passes.Float16;

/// <summary>Diagnostic codes of the float16 pass not yet in <see cref="Diagnostics.ErrorCodes"/> (to move there).</summary>
internal static class Float16Diagnostics
{
    /// <summary>Warning: a weight held values beyond float16's range and was clamped to ±65504.</summary>
    public const string WeightClamped = "OPT5002";
}
