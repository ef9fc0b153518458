using Optimizer.Core.Config;

namespace Optimizer.Core.Profiles;

/// <summary>A profile ready to run: its name, the built-in profile it is based on, its settings and its budgets.</summary>
public sealed record ResolvedProfile(string Name, BuiltInProfile Base, ProfileSettings Settings, BudgetSettings Budgets)
{
    /// <summary>The root <c>pruning:</c> section with this profile's overrides applied; null when pruning is not configured.</summary>
    public PruningSettings? Pruning { get; init; }
}
