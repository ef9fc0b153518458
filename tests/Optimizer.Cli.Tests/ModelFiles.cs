using Google.Protobuf;
using Optimizer.TestModels;

namespace Optimizer.Cli.Tests;

/// <summary>Writes the shared test models to files, as the CLI reads them.</summary>
internal static class ModelFiles
{
    /// <summary>Writes <see cref="ConvNetModel"/> (Constant-node weights, symbolic batch) to <paramref name="directory"/>.</summary>
    public static string WriteConvNet(string directory, string name = "net.onnx")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, ConvNetModel.Create().ToByteArray());
        return path;
    }
}
