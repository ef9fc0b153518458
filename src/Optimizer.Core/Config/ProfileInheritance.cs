using Optimizer.Core.Diagnostics;
using Optimizer.Core.Profiles;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Config;

/// <summary>
/// Resolves <c>extends:</c> chains between profiles at the YAML level: a profile's body is merged over the body of the
/// profile it extends (recursively), so every setting, present or future, inherits without per-key code. Each profile
/// ends up with the built-in profile at the root of its chain; cycles and unknown parents are coded errors at the line.
/// </summary>
internal static class ProfileInheritance
{
    /// <summary>A profile with its fully inherited body and the built-in profile its chain starts from.</summary>
    public sealed record InheritedProfile(string Name, YamlSection? Body, string BuiltInBase, SourceLocation DeclaredAt);

    /// <summary>Resolves every profile of the <c>profiles:</c> section, in file order.</summary>
    public static IReadOnlyList<InheritedProfile> Resolve(YamlSection profiles)
    {
        var declared = profiles.Keys.ToDictionary(k => k.Key, k => k.Location, StringComparer.Ordinal);
        var resolved = new Dictionary<string, InheritedProfile>(StringComparer.Ordinal);
        return declared.Keys.Select(name => ResolveOne(name, profiles, declared, resolved, [])).ToList();
    }

    private static InheritedProfile ResolveOne(
        string name, YamlSection profiles, Dictionary<string, SourceLocation> declared, Dictionary<string, InheritedProfile> resolved, List<string> chain)
    {
        if (resolved.TryGetValue(name, out var done))
        {
            return done;
        }

        chain.Add(name);
        var body = profiles.Section(name);
        var parent = body?.String("extends");
        InheritedProfile result;
        if (parent is null || (parent == name && BuiltInProfiles.Names.Contains(name, StringComparer.Ordinal)))
        {
            result = new InheritedProfile(name, body, BuiltInBaseOf(name, profiles, declared[name]), declared[name]);
        }
        else if (chain.Contains(parent, StringComparer.Ordinal))
        {
            throw body!.ErrorAt("extends", ErrorCodes.ConfigInvalidValue,
                $"Profile '{name}' extends '{parent}', which forms a cycle: {string.Join(" -> ", chain.Append(parent))}.");
        }
        else if (declared.ContainsKey(parent))
        {
            var inherited = ResolveOne(parent, profiles, declared, resolved, chain);
            if (inherited.Body is not null)
            {
                YamlTree.Merge(inherited.Body.Node, body!.Node);
            }

            result = new InheritedProfile(name, body, inherited.BuiltInBase, declared[name]);
        }
        else if (BuiltInProfiles.Names.Contains(parent, StringComparer.Ordinal))
        {
            result = new InheritedProfile(name, body, parent, declared[name]);
        }
        else
        {
            var known = BuiltInProfiles.Names.Concat(declared.Keys).Where(k => k != name).Distinct().ToList();
            var hint = KeySuggestion.Closest(parent, known);
            throw body!.ErrorAt("extends", ErrorCodes.UnknownProfile,
                $"Profile '{name}' extends '{parent}', which is neither built in nor declared here. Known profiles: {string.Join(", ", known)}." +
                (hint is null ? "" : $" Did you mean '{hint}'?"));
        }

        chain.RemoveAt(chain.Count - 1);
        resolved[name] = result;
        return result;
    }

    private static string BuiltInBaseOf(string name, YamlSection profiles, SourceLocation location)
    {
        if (BuiltInProfiles.Names.Contains(name, StringComparer.Ordinal))
        {
            return name;
        }

        var hint = KeySuggestion.Closest(name, BuiltInProfiles.Names);
        throw new OptimizerException(ErrorCodes.UnknownProfile,
            $"Profile '{name}' is not built in ({string.Join(", ", BuiltInProfiles.Names)}) and has no 'extends:'." +
            (hint is null ? " Add 'extends: cpu-int8' or 'extends: gpu-fp16'." : $" Did you mean '{hint}'?"),
            location.File, location.Line, location.Column);
    }
}
