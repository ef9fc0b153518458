using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Runtime;
using Optimizer.Core.Tests.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

/// <summary>Calibration data, conversion, ORT runs and graph checks shared by the float16 tests.</summary>
internal static class Float16TestSupport
{
    /// <summary>Normally distributed float samples for one input (plus fixed extra inputs such as an If condition).</summary>
    public static CalibrationSet Samples(string input, long[] shape, int count, int seed, Func<int, CalibrationTensor>? extra = null)
    {
        var random = new Random(seed);
        var samples = new List<CalibrationSample>();
        for (var s = 0; s < count; s++)
        {
            var values = TensorValues.ReadFloats(ConvNetModel.RandomTensor(random, input, shape, 1f));
            var inputs = new List<CalibrationTensor> { new(input, DataType.Float, shape, values) };
            if (extra is not null)
            {
                inputs.Add(extra(s));
            }

            samples.Add(new CalibrationSample($"sample{s}", inputs));
        }

        return new CalibrationSet(samples, IsSynthetic: true, Source: null);
    }

    /// <summary>Converts a copy of <paramref name="model"/> and returns it with what the pass reported.</summary>
    public static (ModelProto Model, PassContext Context, RecordingSink Sink) Convert(ModelProto model, CalibrationSet calibration, Float16Options? options = null)
    {
        var sink = new RecordingSink();
        var context = new PassContext(calibration, sink);
        var converted = new Float16ConversionPass(options).Apply(model.Clone(), context);
        return (converted, context, sink);
    }

    /// <summary>Every output value of every sample, concatenated, from one ORT CPU session.</summary>
    public static float[] RunAll(ModelProto model, CalibrationSet samples)
    {
        using var session = ModelSession.Create(model, "test model");
        return samples.Samples.SelectMany(s => session.Run(s).SelectMany(r => r.Values)).ToArray();
    }

    /// <summary>
    /// Runs a model with float16 inputs and outputs directly in ORT: <see cref="ModelSession"/> turns Half bits into
    /// numbers (ORT's explicit ushort-to-Float16 conversion is numeric), so it cannot feed float16 inputs yet.
    /// </summary>
    public static float[] RunAllFloat16(ModelProto model, CalibrationSet samples)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(ModelFile.ToBytes(model));
        var result = new List<float>();
        foreach (var sample in samples.Samples)
        {
            var inputs = sample.Inputs.Select(i => Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(
                ((float[])i.Data).Select(v => new Microsoft.ML.OnnxRuntime.Float16(BitConverter.HalfToUInt16Bits((Half)v))).ToArray(), i.Shape)).ToList();
            using var outputs = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), sample.Inputs.Select(i => i.Name).ToList(), inputs, session.OutputNames);
            foreach (var output in outputs)
            {
                foreach (var value in output.GetTensorDataAsSpan<Microsoft.ML.OnnxRuntime.Float16>())
                {
                    result.Add(value.ToFloat());
                }
            }

            inputs.ForEach(i => i.Dispose());
        }

        return result.ToArray();
    }

    public static double Cosine(float[] a, float[] b)
    {
        Assert.HasCount(a.Length, b);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>Element types of every tensor of the converted model, as the engine infers them.</summary>
    public static TensorElementTypes TypesOf(ModelProto model) => TensorElementTypes.Infer(new GraphScopes(model));

    /// <summary>Fails when any graph has a Cast to float32 reading a Cast to float16 (a lossy, useless round trip).</summary>
    public static void AssertNoCastRoundTrips(ModelProto model)
    {
        foreach (var graph in ModelWalker.AllGraphs(model))
        {
            var toHalf = graph.Node.Where(n => n.OpType == "Cast" && Attributes.GetInt(n, "to", 0) == (long)DataType.Float16)
                .SelectMany(n => n.Output).ToHashSet();
            var roundTrips = graph.Node.Where(n => n.OpType == "Cast" && Attributes.GetInt(n, "to", 0) == (long)DataType.Float && toHalf.Contains(n.Input[0]));
            Assert.IsEmpty(roundTrips.Select(n => n.Name).ToList());
        }
    }

    /// <summary>Casts in all graphs.</summary>
    public static int CastCount(ModelProto model) => ModelWalker.AllGraphs(model).Sum(g => g.Node.Count(n => n.OpType == "Cast"));

    /// <summary>The single node called <paramref name="name"/> anywhere in the model, with its graph.</summary>
    public static (GraphProto Graph, NodeProto Node) Find(ModelProto model, string name) =>
        ModelWalker.AllGraphs(model).SelectMany(g => g.Node.Select(n => (g, n))).Single(p => p.n.Name == name);
}
