using System.Text;
using System.Text.Json;
using Optimizer.Core.Calibration;
using Optimizer.Core.Calibration.Images;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Config;

/// <summary>
/// Writes a commented starter compression.yaml (what <c>optimizer init</c> prints): every key the schema knows, with its
/// description; keys with a default are written out with that default, the others are commented examples. The result
/// loads back to exactly the built-in defaults, so starting from it changes nothing until the user edits it.
/// </summary>
public static class ConfigTemplate
{
    /// <summary>The starter file for <paramref name="model"/> (null: a model-independent file).</summary>
    /// <param name="model">The model, whose inputs are listed so users know what calibration samples must hold.</param>
    /// <param name="modelName">File name of the model, for the header.</param>
    /// <param name="schemaReference">Where editors find the schema (a file URI or path), or null to omit the modeline.</param>
    /// <param name="hasCalibrationFolder">True when a <c>calibration/</c> folder exists beside the model.</param>
    public static string Create(ModelProto? model, string? modelName, string? schemaReference, bool hasCalibrationFolder)
    {
        var text = new StringBuilder();
        if (schemaReference is not null)
        {
            text.AppendLine($"# yaml-language-server: $schema={schemaReference}");
        }

        text.AppendLine(modelName is null
            ? "# Compression settings (written by `optimizer init`)."
            : $"# Compression settings for {modelName} (written by `optimizer init`).");
        text.AppendLine("# Keys shown with a value are the defaults; commented keys are examples. Delete what you do not need.");
        if (model is not null)
        {
            var initializers = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
            text.AppendLine("# Model inputs (each calibration sample holds one tensor per input):");
            foreach (var input in model.Graph.Input.Where(i => !initializers.Contains(i.Name)))
            {
                text.AppendLine($"#   {ModelSummary.Describe(input)}");
            }
        }

        text.AppendLine("version: 1");
        text.AppendLine();
        var writer = new Writer(text, hasCalibrationFolder, model is null ? null : ImageInputPreprocessing(model));
        writer.Section("calibration", 0);
        text.AppendLine();
        text.AppendLine("# Profiles to produce, one optimized model each. A custom profile builds on another: `edge: { extends: cpu-int8 }`.");
        text.AppendLine("profiles:");
        text.AppendLine("  cpu-int8:");
        writer.Section("profiles.*.quantization", 4);
        text.AppendLine("  gpu-fp16:");
        writer.Section("profiles.*.float16", 4);
        text.AppendLine();
        writer.Section("budgets", 0);
        return text.ToString();
    }

    // The preprocessing a single image-like input implies, written out so users see and adjust it; null otherwise.
    private static ImagePreprocessing? ImageInputPreprocessing(ModelProto model)
    {
        var inputs = ModelInputs.Of(model);
        if (inputs.Count != 1 || inputs[0].Dims is not { Count: 4 } dims || (dims[1] is not (1 or 3) && dims[3] is not (1 or 3)))
        {
            return null;
        }

        try
        {
            return ImagePreprocessingResolver.Resolve(null, inputs[0], "model input");
        }
        catch (OptimizerException)
        {
            return null; // e.g. symbolic height/width: the user must choose a size, so leave the section to the schema's docs
        }
    }

    private sealed class Writer(StringBuilder text, bool hasCalibrationFolder, ImagePreprocessing? image)
    {
        public void Section(string path, int indent)
        {
            var schema = ConfigSchema.Section(path)!.Value;
            var body = new StringBuilder();
            var active = false;
            foreach (var key in ConfigSchema.Keys(path))
            {
                var property = ConfigSchema.Section($"{path}.{key}")!.Value;
                var pad = new string(' ', indent + 2);
                if (property.TryGetProperty("properties", out _))
                {
                    if (key == "images" && image is not null)
                    {
                        body.AppendLine($"{pad}# {property.GetProperty("description").GetString()}");
                        body.AppendLine($"{pad}images:");
                        body.AppendLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                            $"{pad}  size: [{image.Height}, {image.Width}]\n{pad}  layout: {image.Layout.ToString().ToLowerInvariant()}\n" +
                            $"{pad}  channels: {image.Channels.ToString().ToLowerInvariant()}\n{pad}  scale: {image.Scale}\n" +
                            $"{pad}  mean: [{string.Join(", ", image.Mean)}]\n{pad}  std: [{string.Join(", ", image.Std)}]"));
                        active = true;
                    }

                    continue; // other nested sections are documented by the schema itself
                }

                if (property.TryGetProperty("description", out var description))
                {
                    body.AppendLine($"{pad}# {description.GetString()}{Choices(property)}");
                }

                if (property.TryGetProperty("default", out var fallback))
                {
                    body.AppendLine($"{pad}{key}: {YamlText.Flow(fallback)}");
                    active = true;
                }
                else if (property.TryGetProperty("examples", out var examples))
                {
                    var useExample = key == "data" && hasCalibrationFolder;
                    body.AppendLine($"{pad}{(useExample ? "" : "# ")}{key}: {YamlText.Flow(examples[0])}");
                    active |= useExample;
                }
            }

            var name = path.Split('.')[^1];
            var header = $"{new string(' ', indent)}{(active ? "" : "# ")}{name}:";
            if (schema.TryGetProperty("description", out var sectionDescription))
            {
                text.AppendLine($"{new string(' ', indent)}# {sectionDescription.GetString()}");
            }

            text.AppendLine(header).Append(body);
        }

        private static string Choices(JsonElement property) =>
            property.TryGetProperty("enum", out var choices) ? $" ({string.Join(" | ", choices.EnumerateArray().Select(YamlText.Flow))})" : "";
    }
}
