using Optimizer.Core.Passes;

namespace Optimizer.Core.Profiles;

/// <summary>The passes each profile runs, in order, configured from its settings.</summary>
public static class ProfilePasses
{
    /// <summary>Creates the pass list for <paramref name="profile"/>.</summary>
    public static IReadOnlyList<IModelPass> Create(ResolvedProfile profile) => profile.Base.Kind switch
    {
        _ => [],
    };
}
