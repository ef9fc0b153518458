using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes;
using Optimizer.Core.Passes.Float16;
using Optimizer.Core.Runtime;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

/// <summary>Calibration data, conversion, ORT runs and graph checks shared by the float16 tests.</summary>
internal static class Float16TestSupport
{
    /// <summary>Converts a copy of <paramref name="model"/> and returns it with what the pass reported.</summary>
    public static (ModelProto Model, PassContext Context, RecordingSink Sink) Convert(ModelProto model, CalibrationSet calibration, Float16Options? options = null)
    {
        var sink = new RecordingSink();
        var context = new PassContext(calibration, sink);
        var converted = new Float16ConversionPass(options).Apply(model.Clone(), context);
        return (converted, context, sink);
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
