using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Tests.Robustness;

/// <summary>Writes models and raw bytes into fresh folders and loads them back, as the tool reads files from a repository.</summary>
internal static class ModelScratch
{
    /// <summary>A new empty folder under the system temp folder.</summary>
    public static string NewFolder() => Directory.CreateTempSubdirectory("optimizer-robustness-").FullName;

    /// <summary>Writes <paramref name="bytes"/> as <c>net.onnx</c> in a new folder and returns its path.</summary>
    public static string Write(byte[] bytes, string? folder = null)
    {
        var path = Path.Combine(folder ?? NewFolder(), "net.onnx");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes <paramref name="model"/> as <c>net.onnx</c> in a new folder (or <paramref name="folder"/>) and returns its path.</summary>
    public static string Write(ModelProto model, string? folder = null) => Write(model.ToByteArray(), folder);

    /// <summary>Loads <paramref name="model"/> from a file and returns the coded error it must raise.</summary>
    public static OptimizerException LoadFails(ModelProto model) => LoadFails(model.ToByteArray());

    /// <summary>Loads <paramref name="bytes"/> from a file and returns the coded error it must raise.</summary>
    public static OptimizerException LoadFails(byte[] bytes)
    {
        var path = Write(bytes);
        var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load(path));
        Assert.AreEqual(path, error.File, "the error must name the model file");
        return error;
    }
}
