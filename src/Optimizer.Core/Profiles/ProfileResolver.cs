using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Profiles;

/// <summary>Decides which profiles a run produces and what settings each one uses.</summary>
public static class ProfileResolver
{
    /// <summary>
    /// Resolves <paramref name="requested"/> names against the configuration; with none requested, every profile the
    /// configuration declares, or both built-in profiles when it declares none.
    /// </summary>
    public static IReadOnlyList<ResolvedProfile> Resolve(CompressionConfig config, IReadOnlyList<string> requested)
    {
        var names = requested.Count > 0
            ? requested.Distinct(StringComparer.Ordinal).ToList()
            : config.Profiles.Count > 0 ? config.Profiles.Select(p => p.Name).ToList() : BuiltInProfiles.Names.ToList();
        return names.Select(name => Resolve(config, name)).ToList();
    }

    private static ResolvedProfile Resolve(CompressionConfig config, string name)
    {
        var declared = config.Profiles.FirstOrDefault(p => p.Name == name);
        if (declared is null && !BuiltInProfiles.Names.Contains(name, StringComparer.Ordinal))
        {
            var known = BuiltInProfiles.Names.Concat(config.Profiles.Select(p => p.Name)).Distinct().ToList();
            var hint = KeySuggestion.Closest(name, known);
            throw new OptimizerException(ErrorCodes.UnknownProfile,
                $"Unknown profile '{name}'. Known profiles: {string.Join(", ", known)}.{(hint is null ? "" : $" Did you mean '{hint}'?")}",
                config.SourceFile);
        }

        var settings = declared ?? new ProfileSettings { Name = name, Extends = name };
        return new ResolvedProfile(name, BuiltInProfiles.Get(settings.Extends), settings, config.Budgets.OverriddenBy(settings.Budgets))
        {
            Pruning = config.Pruning?.OverriddenBy(settings.Pruning) ?? settings.Pruning,
        };
    }
}
