using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Quantization;
using Optimizer.Core.Runtime;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Quantization;

/// <summary>
/// The vectorized, parallel weight quantizer gives exactly the int8 values ONNX Runtime's own QuantizeLinear computes
/// from the same scales, for every weight layout the passes quantize, lengths that are not multiples of the vector
/// width and tensors spanning several parallel chunks included.
/// </summary>
[TestClass]
public sealed class WeightQuantizerTests
{
    [TestMethod]
    [DataRow(new long[] { 37, 53 }, 1, DisplayName = "MatMul [K, N], per output column")]
    [DataRow(new long[] { 300, 1000 }, 1, DisplayName = "MatMul spanning several chunks")]
    [DataRow(new long[] { 19, 7, 3, 3 }, 0, DisplayName = "Conv [Cout, Cin, kh, kw], per output channel")]
    [DataRow(new long[] { 5, 6, 3, 3 }, 1, DisplayName = "ConvTranspose [Cin, Cout, kh, kw], per output channel")]
    [DataRow(new long[] { 70001 }, -1, DisplayName = "per tensor, several chunks")]
    public void Quantize_MatchesOnnxRuntimeQuantizeLinear(long[] dims, int axis)
    {
        var weights = RandomValues.Gaussian(new Random(7), (int)TensorValues.ElementCount(dims), 0.05f);
        weights[3] = 0.9f; // an outlier, so one channel's scale differs from the rest

        var quantized = WeightQuantizer.Quantize(weights, dims, axis, bias: null, inputScale: 1f);

        var expected = RunQuantizeLinear(weights, dims, axis, quantized.Scales);
        CollectionAssert.AreEqual(expected, quantized.Values.Select(v => (float)v).ToArray());
        Assert.AreEqual(axis < 0 ? 1 : (int)dims[axis], quantized.Scales.Length);
        Assert.AreEqual(127, quantized.Values.Max(v => Math.Abs((int)v)), "the largest weight of a channel maps to ±127");
    }

    [TestMethod]
    [DataRow(new long[] { 300, 1000 }, 1, DisplayName = "MatMul [K, N] spanning several chunks")]
    [DataRow(new long[] { 19, 7, 3, 3 }, 0, DisplayName = "Conv [Cout, Cin, kh, kw]")]
    [DataRow(new long[] { 70001 }, -1, DisplayName = "per tensor")]
    public void Quantize_TensorRawDataInPlaceOrTypedField_GivesTheValuesOfTheFloatArray(long[] dims, int axis)
    {
        var weights = RandomValues.Gaussian(new Random(9), (int)TensorValues.ElementCount(dims), 0.05f);
        var bias = axis < 0 ? null : RandomValues.Gaussian(new Random(10), (int)dims[axis], 0.1f);
        var raw = TensorValues.FromFloats("w", dims, weights);
        var typed = new TensorProto { Name = "w", DataType = (int)DataType.Float };
        typed.Dims.AddRange(dims);
        typed.FloatData.AddRange(weights);

        var expected = WeightQuantizer.Quantize(weights, dims, axis, bias, inputScale: 0.02f);

        foreach (var tensor in new[] { raw, typed })
        {
            var actual = WeightQuantizer.Quantize(tensor, axis, bias, inputScale: 0.02f, QuantizationParameters.WeightMax);
            CollectionAssert.AreEqual(expected.Values, actual.Values);
            CollectionAssert.AreEqual(expected.Scales, actual.Scales);
            CollectionAssert.AreEqual(expected.Bias, actual.Bias);
        }

        CollectionAssert.AreEqual(weights, TensorValues.ReadFloats(raw), "the tensor read in place is left as it was");
    }

    [TestMethod]
    public void Quantize_ZeroChannelAndLargeBias_StayFiniteAndKeepTheBiasInRange()
    {
        var weights = RandomValues.Gaussian(new Random(8), 4 * 3, 0.1f);
        for (var k = 0; k < 4; k++)
        {
            weights[(k * 3) + 1] = 0f; // channel 1 of a [K=4, N=3] MatMul weight is all zero
        }

        var quantized = WeightQuantizer.Quantize(weights, [4, 3], 1, bias: [0.5f, 0f, 3e9f], inputScale: 1f);

        Assert.AreEqual(QuantizationParameters.TinyScale, quantized.Scales[1]);
        Assert.IsTrue(Enumerable.Range(0, 4).All(k => quantized.Values[(k * 3) + 1] == 0));
        Assert.IsTrue(quantized.Bias!.All(b => Math.Abs((long)b) <= 1L << 30), "the bias leaves the int32 accumulator headroom");
        Assert.AreEqual(3e9f, quantized.Bias![2] * quantized.BiasScales![2], 3e9f * 1e-6f);
    }

    // One QuantizeLinear node (opset 13, int8 zero points) reading the weights as a graph input: ORT's reference values.
    private static float[] RunQuantizeLinear(float[] weights, long[] dims, int axis, float[] scales)
    {
        var graph = new GraphProto { Name = "quantize" };
        graph.Input.Add(Nodes.TensorInfo("w", DataType.Float, dims.Cast<object>().ToArray()));
        var scaleDims = axis < 0 ? Array.Empty<long>() : [scales.Length];
        graph.Initializer.Add(TensorValues.FromFloats("scale", scaleDims, axis < 0 ? [scales[0]] : scales));
        graph.Initializer.Add(TensorValues.Create<sbyte>("zero", DataType.Int8, scaleDims, new sbyte[axis < 0 ? 1 : scales.Length]));
        graph.Node.Add(axis < 0
            ? Nodes.Create("QuantizeLinear", "q", ["w", "scale", "zero"], ["q"])
            : Nodes.Create("QuantizeLinear", "q", ["w", "scale", "zero"], ["q"], Attributes.Int("axis", axis)));
        graph.Output.Add(Nodes.TensorInfo("q", DataType.Int8, dims.Cast<object>().ToArray()));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });

        using var session = ModelSession.Create(model, "QuantizeLinear");
        var sample = new CalibrationSample("weights", [new CalibrationTensor("w", DataType.Float, dims, weights)]);
        return session.Run(sample)[0].Values;
    }
}
