using Optimizer.Core.Config;

namespace Optimizer.Core.Verification;

/// <summary>
/// One budget checked against one optimized model: what was measured, the limit, and where the limit was written.
/// Reports keep every result, passed or not, so a reader sees how much headroom each budget has.
/// </summary>
public sealed record BudgetResult(string Budget, string Code, double Limit, double Measured, bool Passed, string Message, SourceLocation? At);
