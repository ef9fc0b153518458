using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Optimizer.Build;

/// <summary>One model file in <c>optimized-models.json</c>.</summary>
internal sealed record ManifestModel(string Model, string Profile, string File, long Bytes, string Sha256, string ExecutionProvider, double? Cosine, double? Top1Agreement);

/// <summary>
/// Writes <c>optimized-models.json</c>: every model file the build put in the output, what it was made from, for which
/// execution provider, and how faithful it is. Written by hand because the task targets netstandard2.0 (no
/// System.Text.Json without a package MSBuild may not load); the shape is read by Optimizer.Runtime's
/// <c>OptimizedModelManifest</c>. Stable key order and no timestamps, so identical builds write identical bytes.
/// </summary>
internal static class ManifestJson
{
    /// <summary>The manifest's format version.</summary>
    public const int Version = 1;

    /// <summary>The JSON text for <paramref name="models"/>, in the order given.</summary>
    public static string Render(IEnumerable<ManifestModel> models)
    {
        var json = new StringBuilder();
        json.Append("{\n  \"version\": ").Append(Version).Append(",\n  \"models\": [");
        var first = true;
        foreach (var model in models)
        {
            json.Append(first ? "\n" : ",\n");
            first = false;
            json.Append("    {\n");
            Property(json, "model", model.Model);
            Property(json, "profile", model.Profile);
            Property(json, "file", model.File);
            json.Append("      \"bytes\": ").Append(model.Bytes.ToString(CultureInfo.InvariantCulture)).Append(",\n");
            Property(json, "sha256", model.Sha256);
            Property(json, "executionProvider", model.ExecutionProvider);
            json.Append("      \"cosine\": ").Append(Number(model.Cosine)).Append(",\n");
            json.Append("      \"top1Agreement\": ").Append(Number(model.Top1Agreement)).Append('\n');
            json.Append("    }");
        }

        json.Append(first ? "]\n}\n" : "\n  ]\n}\n");
        return json.ToString();
    }

    private static void Property(StringBuilder json, string name, string value) =>
        json.Append("      \"").Append(name).Append("\": ").Append(Quote(value)).Append(",\n");

    private static string Number(double? value) =>
        value is { } number && !double.IsNaN(number) && !double.IsInfinity(number) ? number.ToString("R", CultureInfo.InvariantCulture) : "null";

    private static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                default:
                    if (c < ' ')
                    {
                        quoted.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        quoted.Append(c);
                    }

                    break;
            }
        }

        return quoted.Append('"').ToString();
    }
}
