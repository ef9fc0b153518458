using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Float16;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

/// <summary>
/// The in-place 16-bit conversion (raw float32 bytes straight into one new 16-bit buffer) must store exactly the bits
/// the earlier path stored: a float32 copy, saturated, rounded through a 16-bit array and copied into raw data.
/// </summary>
[TestClass]
public sealed class TensorTypeConverterTests
{
    [TestMethod]
    [DataRow(ReducedPrecision.Float16)]
    [DataRow(ReducedPrecision.Bfloat16)]
    public void ToReducedPrecision_RawData_StoresTheSameBitsAsTheCopyingPath(ReducedPrecision precision)
    {
        var values = HostileValues(precision, seed: 5);
        var tensor = TensorValues.FromFloats("w", [8, values.Length / 8], values);

        var counts = TensorTypeConverter.ToReducedPrecision(tensor, precision);

        var (expected, expectedCounts) = CopyingPath(values, precision);
        Assert.AreEqual((int)precision.ElementType(), tensor.DataType);
        CollectionAssert.AreEqual(new long[] { 8, values.Length / 8 }, tensor.Dims.ToArray());
        CollectionAssert.AreEqual(expected, tensor.RawData.ToByteArray());
        Assert.AreEqual(expectedCounts, counts);
        Assert.IsGreaterThan(0, counts.Clamped, "the data holds finite values beyond the format's range");
        Assert.IsGreaterThan(0, counts.Flushed, "the data holds nonzero values below the format's smallest subnormal");
    }

    [TestMethod]
    public void ToReducedPrecision_TypedFloatData_StoresTheSameBitsAsRawData()
    {
        var values = HostileValues(ReducedPrecision.Float16, seed: 6);
        var typed = new TensorProto { Name = "w", DataType = (int)DataType.Float };
        typed.Dims.Add(values.Length);
        typed.FloatData.AddRange(values);

        TensorTypeConverter.ToReducedPrecision(typed, ReducedPrecision.Float16);

        Assert.IsEmpty(typed.FloatData);
        CollectionAssert.AreEqual(CopyingPath(values, ReducedPrecision.Float16).Bytes, typed.RawData.ToByteArray());
    }

    [TestMethod]
    public void ToReducedPrecision_DimsDisagreeWithData_IsACodedError()
    {
        var tensor = TensorValues.FromFloats("w", [4, 4], new float[15]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => TensorTypeConverter.ToReducedPrecision(tensor, ReducedPrecision.Float16));

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code);
        StringAssert.Contains(error.Message, "'w'");
    }

    /// <summary>Random normal weights mixed with subnormals, values just below and beyond the range, infinities, NaNs and signed zeros.</summary>
    private static float[] HostileValues(ReducedPrecision precision, int seed)
    {
        var random = new Random(seed);
        var (max, smallest) = (precision.MaxValue(), precision.SmallestPositive());
        float[] specials =
        [
            0f, -0f, float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon,
            smallest, -smallest, smallest * 0.49f, smallest * 0.51f, smallest * 1.5f, smallest * 3.3f, max, -max,
            max * 1.0001f, -max * 1.0001f, 65519f, 65520f, float.MaxValue, -float.MaxValue, 6.1e-5f, 3e-8f,
        ];
        var values = new float[8 * 512];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (i % 7) switch
            {
                0 => specials[random.Next(specials.Length)],
                1 => (float)(random.NextDouble() * 1e-6), // float16 subnormals and below
                2 => (float)((random.NextDouble() - 0.5) * 2e5), // around and beyond float16's range
                _ => (float)(random.NextDouble() - 0.5),
            };
        }

        return values;
    }

    /// <summary>The conversion as it was before it worked in place: saturate a float copy, round it into a 16-bit array, copy that.</summary>
    private static (byte[] Bytes, (int Clamped, int Flushed) Counts) CopyingPath(float[] original, ReducedPrecision precision)
    {
        var values = (float[])original.Clone();
        var (max, smallest) = (precision.MaxValue(), precision.SmallestPositive());
        int clamped = 0, flushed = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var magnitude = MathF.Abs(values[i]);
            if (float.IsFinite(values[i]) && magnitude > max)
            {
                values[i] = MathF.CopySign(max, values[i]);
                clamped++;
            }
            else if (magnitude > 0f && magnitude < smallest)
            {
                values[i] = MathF.CopySign(smallest, values[i]);
                flushed++;
            }
        }

        var tensor = precision == ReducedPrecision.Bfloat16
            ? TensorValues.Create<ushort>("w", DataType.Bfloat16, [values.Length], Array.ConvertAll(values, ReducedPrecisionFormats.ToBfloat16Bits))
            : TensorValues.FromFloatsAsFloat16("w", [values.Length], values);
        return (tensor.RawData.ToByteArray(), (clamped, flushed));
    }
}
