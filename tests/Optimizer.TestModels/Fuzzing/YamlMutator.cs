namespace Optimizer.TestModels.Fuzzing;

/// <summary>Seeded mutations of a valid compression.yaml: YAML syntax characters, duplicated or swapped lines, hostile values.</summary>
public static class YamlMutator
{
    /// <summary>A configuration that uses every section, the starting point of every mutation.</summary>
    public const string Valid = """
        version: 1
        calibration:
          samples: 2
          method: percentile
        profiles:
          cpu-int8:
            quantization: { per_channel: true, activations: uint8, exclude_ops: [Gemm], exclude_nodes: [] }
          gpu-fp16:
            float16: { keep_io_types: true, block_ops: [] }
          edge:
            extends: cpu-int8
        budgets:
          min_cosine: 0.5
          max_size: 8 MB
        """;

    private static readonly string[] Fragments =
        [":", "-", "[", "]", "{", "}", "#", "&a", "*a", "!!int", "|", ">", "'", "\"", "%", "@", "`", "\t", "\n", "  ", "<<: *a", "~", "null",
         "1e999", "-1", "NaN", ".inf", "99999999999999999999", "0x7FFFFFFF", "\u0000", "\uFEFF", "ü", "extends: edge"];

    private static readonly string[] Values = ["-5", "0", "1.5", "1e308", "many", "[]", "{}", "~", "99999999999 GB", "-1 MB", "cpu-int8", "''"];

    /// <summary>Applies 1-3 mutations to <paramref name="yaml"/>.</summary>
    public static string Mutate(string yaml, Random random)
    {
        var lines = yaml.Split('\n').ToList();
        for (var n = random.Next(1, 4); n > 0 && lines.Count > 0; n--)
        {
            var at = random.Next(lines.Count);
            var line = lines[at];
            switch (random.Next(6))
            {
                case 0: lines[at] = line.Insert(random.Next(line.Length + 1), Fragments[random.Next(Fragments.Length)]); break;
                case 1: lines[at] = line.Length > 0 ? line.Remove(random.Next(line.Length), 1) : line; break;
                case 2: lines.Insert(random.Next(lines.Count), line); break;
                case 3: (lines[at], lines[^1]) = (lines[^1], lines[at]); break;
                case 4: lines[at] = line.Contains(':') ? line[..(line.IndexOf(':') + 1)] + " " + Values[random.Next(Values.Length)] : line; break;
                default: lines[at] = new string(' ', random.Next(6)) + line.TrimStart(); break;
            }
        }

        return string.Join('\n', lines);
    }
}
