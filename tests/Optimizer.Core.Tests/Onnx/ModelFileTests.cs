using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Onnx;

[TestClass]
public sealed class ModelFileTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void SaveThenLoad_KeepsEveryByte()
    {
        var model = ConvNetModel.Create();
        model.MetadataProps.Add(new StringStringEntryProto { Key = "author", Value = "tests" });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        var original = model.ToByteArray();
        var path = Path.Combine(TestContext.TestRunResultsDirectory!, $"{Guid.NewGuid():N}.onnx");

        File.WriteAllBytes(path, original);
        var loaded = ModelFile.Load(path);
        var resaved = Path.ChangeExtension(path, ".resaved.onnx");
        ModelFile.Save(loaded, resaved);

        CollectionAssert.AreEqual(original, File.ReadAllBytes(resaved));
        Assert.AreEqual("author", loaded.MetadataProps[0].Key);
        Assert.AreEqual(2, loaded.OpsetImport.Count);
    }

    [TestMethod]
    public void Load_KeepsFieldsThisSchemaDoesNotName()
    {
        var model = ConvNetModel.Create();
        var bytes = model.ToByteArray();
        // Field 26 (a newer IR's configuration) as a length-delimited unknown field: tag = 26 << 3 | 2.
        var withUnknown = bytes.Concat(new byte[] { 0xD2, 0x01, 0x03, 0x0A, 0x01, 0x78 }).ToArray();
        var path = Path.Combine(TestContext.TestRunResultsDirectory!, $"{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, withUnknown);

        var resaved = path + ".out.onnx";
        ModelFile.Save(ModelFile.Load(path), resaved);

        CollectionAssert.AreEqual(withUnknown, File.ReadAllBytes(resaved));
    }

    [TestMethod]
    public void Load_ExternalData_InlinesTheWeights()
    {
        var directory = Directory.CreateDirectory(Path.Combine(TestContext.TestRunResultsDirectory!, Guid.NewGuid().ToString("N"))).FullName;
        var model = ConvNetModel.Create();
        var fc = model.Graph.Initializer.Single(t => t.Name == "fc.weight");
        var expected = TensorValues.ReadFloats(fc);
        File.WriteAllBytes(Path.Combine(directory, "weights.bin"), new byte[16].Concat(fc.RawData.ToByteArray()).ToArray());
        fc.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        fc.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "16" });
        fc.DataLocation = TensorProto.Types.DataLocation.External;
        fc.ClearRawData();
        File.WriteAllBytes(Path.Combine(directory, "net.onnx"), model.ToByteArray());

        var loaded = ModelFile.Load(Path.Combine(directory, "net.onnx"));

        CollectionAssert.AreEqual(expected, TensorValues.ReadFloats(loaded.Graph.Initializer.Single(t => t.Name == "fc.weight")));
    }

    [TestMethod]
    [DataRow("../outside.bin")]
    [DataRow("/etc/passwd")]
    public void Load_ExternalDataOutsideTheModelFolder_IsRefused(string location)
    {
        var directory = Directory.CreateDirectory(Path.Combine(TestContext.TestRunResultsDirectory!, Guid.NewGuid().ToString("N"))).FullName;
        var model = ConvNetModel.Create();
        var fc = model.Graph.Initializer.Single(t => t.Name == "fc.weight");
        fc.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        fc.DataLocation = TensorProto.Types.DataLocation.External;
        fc.ClearRawData();
        File.WriteAllBytes(Path.Combine(directory, "net.onnx"), model.ToByteArray());

        var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load(Path.Combine(directory, "net.onnx")));

        Assert.AreEqual(ErrorCodes.ExternalData, error.Code);
        StringAssert.Contains(error.Message, "fc.weight");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    public void Load_NotAModel_GivesOPT2002(int kind)
    {
        var valid = ConvNetModel.Create().ToByteArray();
        var bytes = kind switch
        {
            0 => Array.Empty<byte>(),
            1 => valid[..(valid.Length / 2)],
            _ => Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray(),
        };
        var path = Path.Combine(TestContext.TestRunResultsDirectory!, $"{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);

        var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load(path));

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code);
        Assert.AreEqual(Path.GetFullPath(path), error.File);
    }

    [TestMethod]
    public void Load_MissingFile_GivesOPT2001()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load("/nonexistent/net.onnx"));
        Assert.AreEqual(ErrorCodes.ModelNotFound, error.Code);
    }

    [TestMethod]
    public void Save_WhenWritingFails_LeavesThePreviousFileAndNoTemporaryFile()
    {
        var directory = Directory.CreateDirectory(Path.Combine(TestContext.TestRunResultsDirectory!, Guid.NewGuid().ToString("N"))).FullName;
        var path = Path.Combine(directory, "net.onnx");
        File.WriteAllText(path, "previous");

        Assert.ThrowsExactly<InvalidOperationException>(() =>
            AtomicFile.Write(path, stream =>
            {
                stream.Write(new byte[100]);
                throw new InvalidOperationException("interrupted");
            }));

        Assert.AreEqual("previous", File.ReadAllText(path));
        Assert.AreEqual(1, Directory.GetFiles(directory).Length);
    }
}
