using System.Buffers.Binary;
using System.Text;
using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Calibration;

[TestClass]
public sealed class NpyTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("<f4")]
    [DataRow("<f8")]
    [DataRow("<f2")]
    [DataRow("<i8")]
    [DataRow("<i4")]
    [DataRow("<i2")]
    [DataRow("|u1")]
    [DataRow("|i1")]
    [DataRow("|b1")]
    public void WriteThenRead_KeepsTypeShapeAndValues(string descr)
    {
        Array data = descr switch
        {
            "<f4" => new[] { 1.5f, -2.25f, float.MaxValue, 0f, 3e-8f, -1f },
            "<f8" => new[] { 1.5, -2.25, double.MaxValue, 0, 3e-300, -1 },
            "<f2" => new[] { (Half)1.5f, (Half)(-2.25f), Half.MaxValue, (Half)0f, (Half)0.001f, (Half)(-1f) },
            "<i8" => new[] { long.MinValue, -1L, 0L, 1L, 42L, long.MaxValue },
            "<i4" => new[] { int.MinValue, -1, 0, 1, 42, int.MaxValue },
            "<i2" => new short[] { short.MinValue, -1, 0, 1, 42, short.MaxValue },
            "|u1" => new byte[] { 0, 1, 127, 128, 200, 255 },
            "|i1" => new sbyte[] { sbyte.MinValue, -1, 0, 1, 42, sbyte.MaxValue },
            _ => new[] { true, false, false, true, true, false },
        };
        using var stream = new MemoryStream();

        NpyWriter.Write(stream, data, [2, 3]);
        var tensor = NpyReader.Read(stream.ToArray(), "x", "memory.npy");

        var bytes = stream.ToArray();
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        StringAssert.Contains(Encoding.Latin1.GetString(bytes, 10, headerLength), $"'descr': '{descr}'");
        Assert.AreEqual(0, (10 + headerLength) % 64, "numpy aligns the data to 64 bytes");
        Assert.AreEqual(data.GetType(), tensor.Data.GetType());
        CollectionAssert.AreEqual(new long[] { 2, 3 }, tensor.Shape);
        CollectionAssert.AreEqual(data, tensor.Data);
    }

    [TestMethod]
    public void Write_ProducesTheHeaderNumpyWrites()
    {
        using var stream = new MemoryStream();

        NpyWriter.Write(stream, new float[3 * 16 * 16 * 2], [2, 3, 16, 16]);

        // np.save(f, np.zeros((2, 3, 16, 16), np.float32)) writes exactly this 128-byte preamble.
        var expected = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 16, 16), }";
        expected += new string(' ', 20) + new string(' ', 128 - 10 - expected.Length - 20 - 1) + "\n";
        var bytes = stream.ToArray();
        CollectionAssert.AreEqual(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 }, bytes[..10]);
        Assert.AreEqual(expected, Encoding.Latin1.GetString(bytes, 10, 118));
        Assert.AreEqual(128 + (2 * 3 * 16 * 16 * 4), bytes.Length);
    }

    [TestMethod]
    public void Read_HandWrittenVersion1Header_ParsesShapeAndValues()
    {
        var values = Enumerable.Range(0, 3 * 16 * 16).Select(i => i * 0.5f).ToArray();
        var bytes = NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 16, 16), }", ToBytes(values));

        var tensor = NpyReader.Read(bytes, "image", "hand.npy");

        Assert.AreEqual("image", tensor.Name);
        Assert.AreEqual(DataType.Float, tensor.ElementType);
        CollectionAssert.AreEqual(new long[] { 1, 3, 16, 16 }, tensor.Shape);
        CollectionAssert.AreEqual(values, (float[])tensor.Data);
    }

    [TestMethod]
    [DataRow(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", new long[] { 3 })]
    [DataRow(3, "{\"descr\": \"<i8\", \"shape\": (3L,), \"fortran_order\": False}", new long[] { 3 })]
    [DataRow(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 3, 1), }", new long[] { 1, 3, 1 })]
    public void Read_OtherVersionsAndSpellings_ParseTheSameArray(int version, string header, long[] shape)
    {
        var bytes = NpyBytes(version, header, ToBytes(new long[] { 7, -8, 9 }));

        var tensor = NpyReader.Read(bytes, "ids", "ids.npy");

        CollectionAssert.AreEqual(shape, tensor.Shape);
        CollectionAssert.AreEqual(new long[] { 7, -8, 9 }, (long[])tensor.Data);
    }

    [TestMethod]
    public void Read_Scalar_HasEmptyShapeAndOneValue()
    {
        var tensor = NpyReader.Read(NpyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", ToBytes(new[] { 2.5 })), "s", "s.npy");

        Assert.AreEqual(0, tensor.Shape.Length);
        CollectionAssert.AreEqual(new[] { 2.5 }, (double[])tensor.Data);
    }

    [TestMethod]
    public void Read_BigEndian_ConvertsToNativeValues()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(data, 1.25f);
        BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(4), -3f);

        var tensor = NpyReader.Read(NpyBytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data), "x", "x.npy");

        CollectionAssert.AreEqual(new[] { 1.25f, -3f }, (float[])tensor.Data);
    }

    [TestMethod]
    public void Read_TruncatedFile_IsUnreadableNamingTheFile()
    {
        var path = TempFile("truncated.npy");
        NpyWriter.Write(path, new float[48], [1, 3, 4, 4]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => NpyReader.Read(path));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        Assert.AreEqual(path, error.File);
        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, "truncated");
    }

    [TestMethod]
    public void Read_ShapeSmallerThanData_IsUnreadable()
    {
        var bytes = NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", ToBytes(new[] { 1f, 2f, 3f }));

        var error = Assert.ThrowsExactly<OptimizerException>(() => NpyReader.Read(bytes, "x", "bad.npy"));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        StringAssert.Contains(error.Message, "disagrees");
    }

    [TestMethod]
    [DataRow("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran")]
    [DataRow("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 2), }", "'<u2'")]
    [DataRow("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 2), }", "structured")]
    [DataRow("{'descr': '<f4', 'shape': (2, 2), }", "fortran_order")]
    [DataRow("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)", "expected")]
    public void Read_UnsupportedOrMalformedHeader_IsUnreadableSayingWhy(string header, string reason)
    {
        var bytes = NpyBytes(1, header, new byte[16]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => NpyReader.Read(bytes, "x", "x.npy"));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        Assert.AreEqual("x.npy", error.File);
        StringAssert.Contains(error.Message, reason);
    }

    [TestMethod]
    public void Read_NotNpy_IsUnreadable()
    {
        var error = Assert.ThrowsExactly<OptimizerException>(() => NpyReader.Read("PK\x03\x04 not numpy"u8, "x", "x.npy"));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        StringAssert.Contains(error.Message, "not a .npy file");
    }

    /// <summary>A .npy file as numpy lays it out: magic, version, header length, header padded to 64 bytes with a final newline, data.</summary>
    internal static byte[] NpyBytes(int version, string header, byte[] data)
    {
        var prefixLength = version == 1 ? 10 : 12;
        var padded = header.PadRight((prefixLength + header.Length + 1 + 63) / 64 * 64 - prefixLength - 1) + "\n";
        var prefix = new byte[prefixLength];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }.CopyTo(prefix, 0);
        prefix[6] = (byte)version;
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(prefix.AsSpan(8), (ushort)padded.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(prefix.AsSpan(8), (uint)padded.Length);
        }

        return [.. prefix, .. Encoding.Latin1.GetBytes(padded), .. data];
    }

    private static byte[] ToBytes<T>(T[] values)
        where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private string TempFile(string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(TestContext.TestRunResultsDirectory!, Guid.NewGuid().ToString("N")));
        return Path.Combine(directory.FullName, name);
    }
}
