using System.Text;
using System.Text.Json;
using Optimizer.Core.Config;
using Optimizer.TestModels;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Core.Tests.Config;

[TestClass]
public sealed class ConfigSchemaTests
{
    [TestMethod]
    public void SchemaAndLoader_AcceptExactlyTheSameKeys()
    {
        var yaml = MaximalDocument();

        IReadOnlyDictionary<string, HashSet<string>> recorded;
        using (AllowedKeysRecorder.Start(out recorded))
        {
            ConfigLoader.Parse(yaml, "/m/compression.yaml");
        }

        foreach (var (path, keys) in recorded)
        {
            CollectionAssert.AreEquivalent(ConfigSchema.Keys(path).ToArray(), keys.ToArray(), $"section '{path}' differs between schema and loader");
        }

        foreach (var path in SchemaSections(""))
        {
            Assert.IsTrue(recorded.ContainsKey(path), $"the loader never read section '{path}' of the maximal document:\n{yaml}");
        }
    }

    [TestMethod]
    public void InitTemplate_LoadsBackToTheDefaults()
    {
        var text = ConfigTemplate.Create(ConvNetModel.Create(), "net.onnx", "file:///tools/compression.schema.json", hasCalibrationFolder: false);

        var config = ConfigLoader.Parse(text, "/m/compression.yaml");

        StringAssert.StartsWith(text, "# yaml-language-server: $schema=file:///tools/compression.schema.json");
        StringAssert.Contains(text, "#   image: float[batch, 3, 16, 16]");
        Assert.AreEqual(new CalibrationSettings { Images = config.Calibration.Images }, config.Calibration);
        CollectionAssert.AreEqual(new[] { "cpu-int8", "gpu-fp16" }, config.Profiles.Select(p => p.Name).ToArray());
        Assert.IsTrue(config.Profiles[0].Quantization.PerChannel);
        Assert.AreEqual("uint8", config.Profiles[0].Quantization.Activations);
        Assert.IsTrue(config.Profiles[1].Float16.KeepIoTypes);
        Assert.IsNull(config.Budgets.MinCosine);
        var images = config.Calibration.Images!;
        CollectionAssert.AreEqual(new[] { 16, 16 }, images.Size!.ToArray());
        Assert.AreEqual("nchw", images.Layout);
        Assert.AreEqual("rgb", images.Channels);
        Assert.AreEqual(1f / 255f, images.Scale!.Value, 1e-7f);
    }

    [TestMethod]
    public void InitTemplate_WithACalibrationFolder_PointsAtIt()
    {
        var config = ConfigLoader.Parse(ConfigTemplate.Create(null, null, null, hasCalibrationFolder: true), "/m/compression.yaml");

        Assert.AreEqual("/m/calibration", config.Calibration.Data);
    }

    [TestMethod]
    public void SampleConfigurations_UseOnlyKeysTheSchemaKnows()
    {
        var root = RepositoryRoot();
        var files = Directory.GetFiles(Path.Combine(root, "samples"), "*compression.yaml", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();

        Assert.IsTrue(files.Count > 0, "no sample compression.yaml found");
        foreach (var file in files)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            AssertKeysKnown("", (YamlMappingNode)stream.Documents[0].RootNode, file);
            ConfigLoader.Load(file);
        }
    }

    [TestMethod]
    public void ReadmeExample_LoadsAndUsesOnlySchemaKeys()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var start = readme.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var yaml = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        var config = ConfigLoader.Parse(yaml, "/m/compression.yaml");
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));

        AssertKeysKnown("", (YamlMappingNode)stream.Documents[0].RootNode, "README.md");
        CollectionAssert.AreEqual(new[] { "cpu-int8", "gpu-fp16", "edge" }, config.Profiles.Select(p => p.Name).ToArray());
    }

    [TestMethod]
    public void EffectiveConfig_NamesTheOriginOfEveryValue()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-config-").FullName;
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\ncalibration:\n  samples: 8\nprofiles:\n  edge:\n    extends: cpu-int8\n    quantization:\n      activations: int8\n");
        File.WriteAllText(Path.Combine(folder, "net.compression.yaml"), "version: 1\nbudgets:\n  min_cosine: 0.98\n");

        var text = EffectiveConfigWriter.Write(Path.Combine(folder, "net.onnx"), null, ["calibration.method=percentile"]);

        StringAssert.Contains(text, "  samples: 8  # compression.yaml:3");
        StringAssert.Contains(text, "  method: percentile  # --set calibration.method=percentile");
        StringAssert.Contains(text, "  percentile: 99.999  # default");
        StringAssert.Contains(text, "  min_cosine: 0.98  # net.compression.yaml:3");
        StringAssert.Contains(text, "  edge:  # based on cpu-int8");
        StringAssert.Contains(text, "      activations: int8  # compression.yaml:8");
        StringAssert.Contains(text, "      per_channel: true  # default");
    }

    private static void AssertKeysKnown(string path, YamlMappingNode node, string file)
    {
        foreach (var (key, value) in node.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            var childPath = ConfigSchema.Normalize(path.Length == 0 ? name : $"{path}.{name}");
            var known = path == "profiles" || ConfigSchema.Keys(ConfigSchema.Normalize(path)).Contains(name);
            Assert.IsTrue(known, $"{file}({key.Start.Line}): '{childPath}' is not in the schema");
            if (value is YamlMappingNode mapping)
            {
                AssertKeysKnown(path.Length == 0 ? name : $"{path}.{name}", mapping, file);
            }
        }
    }

    // Every section path the schema describes, with profile names as "*".
    private static IEnumerable<string> SchemaSections(string path)
    {
        yield return path;
        foreach (var key in ConfigSchema.Keys(path))
        {
            var child = path.Length == 0 ? key : $"{path}.{key}";
            var node = ConfigSchema.Section(child)!.Value;
            if (node.TryGetProperty("properties", out _))
            {
                foreach (var nested in SchemaSections(child))
                {
                    yield return nested;
                }
            }
            else if (node.TryGetProperty("additionalProperties", out var any) && any.ValueKind == JsonValueKind.Object)
            {
                foreach (var nested in SchemaSections(child + ".*"))
                {
                    yield return nested;
                }
            }
        }
    }

    // A document that sets every key the schema describes (from its examples or defaults), in the profiles where
    // each section is valid, so the loader visits every section.
    private static string MaximalDocument()
    {
        var text = new StringBuilder();
        WriteKeys(text, "", 0, key => key != "profiles");
        text.AppendLine("profiles:");
        text.AppendLine("  cpu-int8:");
        WriteKeys(text, "profiles.*", 4, key => key is not ("float16" or "extends"));
        text.AppendLine("  gpu-fp16:");
        WriteKeys(text, "profiles.*", 4, key => key is not ("quantization" or "extends"));
        text.AppendLine("  edge:");
        text.AppendLine("    extends: cpu-int8");
        return text.ToString();
    }

    private static void WriteKeys(StringBuilder text, string path, int indent, Func<string, bool> include)
    {
        foreach (var key in ConfigSchema.Keys(path).Where(include))
        {
            var child = path.Length == 0 ? key : $"{path}.{key}";
            var node = ConfigSchema.Section(child)!.Value;
            var pad = new string(' ', indent);
            if (node.TryGetProperty("properties", out _))
            {
                text.AppendLine($"{pad}{key}:");
                WriteKeys(text, child, indent + 2, _ => true);
            }
            else
            {
                var value = node.TryGetProperty("examples", out var examples) ? examples[0]
                    : node.TryGetProperty("default", out var fallback) ? fallback
                    : node.GetProperty("const");
                text.AppendLine($"{pad}{key}: {value.GetRawText()}");
            }
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Optimizer.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Optimizer.sln not found above the test folder.");
    }
}
