using ImageClassifier;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Runtime;

// Runs the original model and every compressed variant the build put next to it in the output's models/ folder
// (net.cpu-int8.onnx, net.gpu-fp16.onnx, ...) on the calibration images, and compares them.
var modelsDirectory = Path.Combine(AppContext.BaseDirectory, "models");
var originalPath = Path.Combine(modelsDirectory, "net.onnx");
var images = Directory.GetFiles(Path.Combine(modelsDirectory, "calibration"), "*.npy")
    .Order(StringComparer.Ordinal)
    .Select(NpyFile.ReadFloat32)
    .ToList();
var models = Directory.GetFiles(modelsDirectory, "*.onnx")
    .OrderBy(path => path == originalPath ? "" : Path.GetFileName(path), StringComparer.Ordinal)
    .ToList();

Console.WriteLine($"{images.Count} images, {models.Count} models in {modelsDirectory}");
Console.WriteLine();
Console.WriteLine($"{"model",-22} {"size",10} {"top class (image 0)",20} {"agreement",10} {"cosine",8} {"latency",10}");

float[][]? reference = null;
foreach (var path in models)
{
    using var runner = new ModelRunner(path);
    var outputs = images.Select(image => runner.Run(image.Data, image.Shape)).ToArray();
    reference ??= outputs;
    var agreement = outputs.Zip(reference).Count(pair => ArgMax(pair.First) == ArgMax(pair.Second)) / (double)outputs.Length;
    var cosine = outputs.Zip(reference).Average(pair => Cosine(pair.First, pair.Second));
    var latency = runner.MeanLatencyMs(images, rounds: 5);
    var top = ArgMax(outputs[0]);

    Console.WriteLine($"{Path.GetFileName(path),-22} {new FileInfo(path).Length / 1024.0,7:0} KB " +
        $"{$"class {top} ({Softmax(outputs[0])[top]:P0})",20} {agreement,10:P0} {cosine,8:0.0000} {latency,7:0.00} ms");
}

// What an app does in production: load the one model the build's manifest says suits this machine's providers.
var choice = OptimizedModelManifest.LoadFromAppDirectory().Choose("models/net.onnx", OrtEnv.Instance().GetAvailableProviders());
Console.WriteLine();
Console.WriteLine($"Chosen for this machine: {Path.GetRelativePath(AppContext.BaseDirectory, choice.Path)} ({choice.Profile}, {choice.ExecutionProvider})");

if (models.Count == 1)
{
    Console.WriteLine();
    Console.WriteLine("Only the original model is here: was the build run with -p:CompressModelsEnabled=false?");
}

static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

static double Cosine(float[] a, float[] b)
{
    double dot = 0, normA = 0, normB = 0;
    for (var i = 0; i < a.Length; i++)
    {
        dot += a[i] * (double)b[i];
        normA += a[i] * (double)a[i];
        normB += b[i] * (double)b[i];
    }

    return dot / Math.Sqrt(normA * normB);
}

static float[] Softmax(float[] logits)
{
    var max = logits.Max();
    var exp = logits.Select(v => MathF.Exp(v - max)).ToArray();
    var sum = exp.Sum();
    return exp.Select(v => v / sum).ToArray();
}
