using Optimizer.Core.Reports;

namespace Optimizer.Core;

/// <summary>The result of one profile: where the model and its report were written, and the report itself.</summary>
public sealed record ProfileOutcome(string OutputPath, string? ReportPath, CompressionReport Report);
