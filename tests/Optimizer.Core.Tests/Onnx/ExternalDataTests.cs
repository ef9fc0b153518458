using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Onnx;

/// <summary>External data: escapes refused (links included), hostile offsets refused, and the save/load round trip through a side file.</summary>
[TestClass]
public sealed class ExternalDataTests
{
    private static string NewFolder() => Directory.CreateTempSubdirectory("optimizer-external-").FullName;

    /// <summary>The conv net with fc.weight moved to <paramref name="location"/> (written with the weight's bytes when a file path is given).</summary>
    private static string WriteWithExternalWeight(string folder, string location, string? offset = null, string? length = null)
    {
        var model = ConvNetModel.Create();
        var fc = model.Graph.Initializer.Single(t => t.Name == "fc.weight");
        fc.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is not null) fc.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset });
        if (length is not null) fc.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length });
        fc.DataLocation = TensorProto.Types.DataLocation.External;
        fc.ClearRawData();
        var path = Path.Combine(folder, "net.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static byte[] FcBytes() => ConvNetModel.Create().Graph.Initializer.Single(t => t.Name == "fc.weight").RawData.ToByteArray();

    [TestMethod]
    public void Load_LinkToAFileOutsideTheFolder_IsRefused()
    {
        var outside = NewFolder();
        File.WriteAllBytes(Path.Combine(outside, "secret.bin"), FcBytes());
        var folder = NewFolder();
        File.CreateSymbolicLink(Path.Combine(folder, "weights.bin"), Path.Combine(outside, "secret.bin"));

        var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load(WriteWithExternalWeight(folder, "weights.bin")));

        Assert.AreEqual(ErrorCodes.ExternalData, error.Code);
        StringAssert.Contains(error.Message, "outside the model's folder");
    }

    [TestMethod]
    public void Load_ThroughALinkedSubfolderOutside_IsRefused()
    {
        var outside = NewFolder();
        File.WriteAllBytes(Path.Combine(outside, "weights.bin"), FcBytes());
        var folder = NewFolder();
        Directory.CreateSymbolicLink(Path.Combine(folder, "data"), outside);

        var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load(WriteWithExternalWeight(folder, "data/weights.bin")));

        Assert.AreEqual(ErrorCodes.ExternalData, error.Code);
        StringAssert.Contains(error.Message, "outside the model's folder");
    }

    [TestMethod]
    public void Load_LinkThatStaysInsideTheFolder_IsRead()
    {
        var folder = NewFolder();
        Directory.CreateDirectory(Path.Combine(folder, "real"));
        File.WriteAllBytes(Path.Combine(folder, "real", "weights.bin"), FcBytes());
        Directory.CreateSymbolicLink(Path.Combine(folder, "data"), Path.Combine(folder, "real"));

        var loaded = ModelFile.Load(WriteWithExternalWeight(folder, "data/weights.bin"));

        CollectionAssert.AreEqual(FcBytes(), loaded.Graph.Initializer.Single(t => t.Name == "fc.weight").RawData.ToByteArray());
    }

    [TestMethod]
    [DataRow("9223372036854775807", null, DisplayName = "offset long.MaxValue")]
    [DataRow("8", "9223372036854775800", DisplayName = "offset + length overflows")]
    [DataRow("0", "1000000", DisplayName = "length beyond the file")]
    [DataRow("-8", null, DisplayName = "negative offset")]
    [DataRow("0x10", null, DisplayName = "hex offset")]
    public void Load_HostileOffsetOrLength_GivesOPT2004(string offset, string? length)
    {
        var folder = NewFolder();
        File.WriteAllBytes(Path.Combine(folder, "weights.bin"), FcBytes());

        var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load(WriteWithExternalWeight(folder, "weights.bin", offset, length)));

        Assert.AreEqual(ErrorCodes.ExternalData, error.Code);
        StringAssert.Contains(error.Message, "fc.weight");
    }

    [TestMethod]
    public void Load_ExternalDataShorterThanTheDims_GivesOPT2002()
    {
        var folder = NewFolder();
        File.WriteAllBytes(Path.Combine(folder, "weights.bin"), FcBytes()[..^8]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load(WriteWithExternalWeight(folder, "weights.bin")));

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code);
        StringAssert.Contains(error.Message, "fc.weight");
    }

    [TestMethod]
    public void Save_AboveTheThreshold_WritesASideFileThatLoadsBackAndRunsInOrtFromThePath()
    {
        var folder = NewFolder();
        var model = ConvNetModel.Create();
        var before = model.ToByteArray();
        var path = Path.Combine(folder, "net.onnx");

        ModelFile.Save(model, path, externalDataAbove: 1024);

        CollectionAssert.AreEqual(before, model.ToByteArray(), "saving must leave the caller's model unchanged");
        CollectionAssert.AreEqual(new[] { path, path + ".data" }, ModelFile.SavedFiles(path).ToArray());
        Assert.IsLessThan(4096L, new FileInfo(path).Length, "the weights must live in the side file");
        CollectionAssert.AreEqual(before, ModelFile.Load(path).ToByteArray(), "loading inlines the side file back, byte for byte");

        var samples = ModelRuns.RandomSamples(ConvNetModel.Input, [2, 3, 16, 16], count: 1, seed: 3);
        var input = samples.Samples[0].Inputs[0];
        using var session = new InferenceSession(path);
        using var value = OrtValue.CreateTensorValueFromMemory((float[])input.Data, input.Shape);
        using var runOptions = new RunOptions(); // kept alive for the call: an inline instance can be collected mid-run
        using var results = session.Run(runOptions, [ConvNetModel.Input], [value], session.OutputNames);
        CollectionAssert.AreEqual(ModelRuns.RunAll(model, samples), results[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [TestMethod]
    public void Save_SmallAfterLarge_RemovesTheStaleSideFile()
    {
        var folder = NewFolder();
        var path = Path.Combine(folder, "net.onnx");
        ModelFile.Save(ConvNetModel.Create(), path, externalDataAbove: 1024);

        ModelFile.Save(ConvNetModel.Create(), path);

        CollectionAssert.AreEqual(new[] { path }, ModelFile.SavedFiles(path).ToArray());
        CollectionAssert.AreEqual(new[] { "net.onnx" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void Save_LeavesNoTemporaryFilesOfDeadProcesses()
    {
        var folder = NewFolder();
        var path = Path.Combine(folder, "net.onnx");
        // What a build killed mid-write leaves behind: a hidden temporary named after a process that no longer runs.
        var abandoned = Path.Combine(folder, $".net.onnx.{int.MaxValue - 1}.0123456789abcdef.tmp");
        File.WriteAllText(abandoned, "partial");

        ModelFile.Save(ConvNetModel.Create(), path);

        Assert.IsFalse(File.Exists(abandoned));
        Assert.IsTrue(File.Exists(path));
    }
}
