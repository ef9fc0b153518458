using Google.Protobuf;
using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Calibration;

[TestClass]
public sealed class TensorProtoFileTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void WriteThenRead_KeepsNameTypeShapeAndValues()
    {
        var path = TempFile("input_0.pb");
        var written = new CalibrationTensor("ids", DataType.Int64, [2, 2], new long[] { 1, -2, 3, long.MaxValue });

        TensorProtoFile.Write(path, written);
        var read = TensorProtoFile.Read(path);

        Assert.AreEqual("ids", read.Name);
        Assert.AreEqual(DataType.Int64, read.ElementType);
        CollectionAssert.AreEqual(written.Shape, read.Shape);
        CollectionAssert.AreEqual(written.Data, read.Data);
    }

    [TestMethod]
    public void Read_UnnamedTensorInTypedFields_TakesTheFileName()
    {
        var tensor = new TensorProto { DataType = (int)DataType.Float };
        tensor.Dims.AddRange([1, 3]);
        tensor.FloatData.AddRange([0.5f, -1f, 2f]);

        var read = TensorProtoFile.Read(tensor.ToByteArray(), "image", "image.pb");

        Assert.AreEqual("image", read.Name);
        CollectionAssert.AreEqual(new[] { 0.5f, -1f, 2f }, (float[])read.Data);
    }

    [TestMethod]
    public void Read_BoolsInInt32Data_AreBools()
    {
        var tensor = new TensorProto { Name = "mask", DataType = (int)DataType.Bool };
        tensor.Dims.Add(3);
        tensor.Int32Data.AddRange([1, 0, 1]);

        var read = TensorProtoFile.Read(tensor.ToByteArray(), "x", "x.pb");

        CollectionAssert.AreEqual(new[] { true, false, true }, (bool[])read.Data);
    }

    [TestMethod]
    public void Read_DimsDisagreeWithData_IsUnreadableNamingTheFile()
    {
        var tensor = TensorValues.FromFloats("x", [2, 3], new float[5]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => TensorProtoFile.Read(tensor.ToByteArray(), "x", "x.pb"));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        Assert.AreEqual("x.pb", error.File);
        StringAssert.Contains(error.Message, "disagree");
    }

    [TestMethod]
    public void Read_NotATensor_IsUnreadable()
    {
        var path = TempFile("garbage.pb");
        File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => TensorProtoFile.Read(path));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        Assert.AreEqual(path, error.File);
    }

    [TestMethod]
    public void Read_StringTensor_IsUnreadableSayingWhich()
    {
        var tensor = new TensorProto { Name = "text", DataType = (int)DataType.String };
        tensor.Dims.Add(1);
        tensor.StringData.Add(ByteString.CopyFromUtf8("hello"));

        var error = Assert.ThrowsExactly<OptimizerException>(() => TensorProtoFile.Read(tensor.ToByteArray(), "x", "x.pb"));

        StringAssert.Contains(error.Message, "String");
    }

    private string TempFile(string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(TestContext.TestRunResultsDirectory!, Guid.NewGuid().ToString("N")));
        return Path.Combine(directory.FullName, name);
    }
}
