using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Onnx;

/// <summary><see cref="TensorValues.WidenToFloat32"/> must give exactly what <see cref="TensorValues.ReadFloats"/> reads, for every 16-bit pattern.</summary>
[TestClass]
public sealed class TensorValuesWideningTests
{
    [TestMethod]
    [DataRow(DataType.Float16, true)]
    [DataRow(DataType.Float16, false)]
    [DataRow(DataType.Bfloat16, true)]
    [DataRow(DataType.Bfloat16, false)]
    public void WidenToFloat32_EveryBitPattern_EqualsReadFloats(DataType type, bool raw)
    {
        // All 65536 patterns: zeros, subnormals, normals, infinities and NaNs of both signs.
        var bits = Enumerable.Range(0, 1 << 16).Select(b => (ushort)b).ToArray();
        var tensor = raw ? TensorValues.Create<ushort>("w", type, [256, 256], bits) : Int32Encoded(type, bits);
        var expected = TensorValues.ReadFloats(tensor);

        TensorValues.WidenToFloat32(tensor);

        Assert.AreEqual((int)DataType.Float, tensor.DataType);
        Assert.IsEmpty(tensor.Int32Data);
        CollectionAssert.AreEqual(new long[] { 256, 256 }, tensor.Dims.ToArray());
        var widened = TensorValues.ReadFloats(tensor);
        CollectionAssert.AreEqual(expected.Select(BitConverter.SingleToInt32Bits).ToArray(), widened.Select(BitConverter.SingleToInt32Bits).ToArray());
    }

    [TestMethod]
    public void WidenToFloat32_DimsDisagreeWithData_IsACodedError()
    {
        var tensor = TensorValues.Create<ushort>("w", DataType.Float16, [4, 4], new ushort[15]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => TensorValues.WidenToFloat32(tensor));

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code);
        StringAssert.Contains(error.Message, "'w'");
    }

    [TestMethod]
    public void WidenToFloat32_Float32Tensor_IsACodedError()
    {
        var tensor = TensorValues.FromFloats("w", [2], [1f, 2f]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => TensorValues.WidenToFloat32(tensor));

        Assert.AreEqual(ErrorCodes.ModelUnsupported, error.Code);
    }

    /// <summary>The typed encoding ONNX uses without raw data: each value's 16 bits in an int32_data entry.</summary>
    private static TensorProto Int32Encoded(DataType type, ushort[] bits)
    {
        var tensor = new TensorProto { Name = "w", DataType = (int)type };
        tensor.Dims.AddRange([256, 256]);
        tensor.Int32Data.AddRange(bits.Select(b => (int)b));
        return tensor;
    }
}
