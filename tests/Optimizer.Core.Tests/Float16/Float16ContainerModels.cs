using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

/// <summary>Models whose float tensors travel through sequences and optionals, or whose weights are sparse, as exporters write them.</summary>
internal static class Float16ContainerModels
{
    public const string Input = Float16TestModels.Input;
    public const string Output = Float16TestModels.Output;

    /// <summary>
    /// A Loop that collects one (x·W + b)·gain per step into a sequence (SequenceEmpty, then SequenceInsert in the
    /// body, declared <c>seq(tensor(float))</c>), joined by ConcatFromSequence and read by a MatMul head.
    /// With a <paramref name="gain"/> near float16's largest value the collected tensors (|x·W + b| reaches ~4) exceed its range.
    /// </summary>
    public static ModelProto LoopCollectingSequence(float gain = 1f, int seed = 83)
    {
        var random = new Random(seed);
        var main = new GraphBuilder("collect", random);
        main.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        main.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 8));
        main.Graph.Initializer.Add(TensorValues.Create<long>("trips", DataType.Int64, [], [3L]));
        main.Graph.Initializer.Add(TensorValues.Create<bool>("keep_going", DataType.Bool, [], [true]));
        var w = main.Weight("w", [16, 16], 0.3f);
        main.Graph.Node.Add(Nodes.Create("SequenceEmpty", "empty", [], ["steps.initial"]));

        var body = new GraphBuilder("body", random);
        body.Graph.Input.Add(Nodes.TensorInfo("i", DataType.Int64));
        body.Graph.Input.Add(Nodes.TensorInfo("cond_in", DataType.Bool));
        body.Graph.Input.Add(SequenceInfo("steps.in"));
        body.Node("Identity", ["cond_in"], output: "cond_out");
        var step = body.Node("Add", [body.Node("MatMul", [Input, w]), body.Weight("body.b", [16], 0.1f)]);
        var scaled = body.Node("Mul", [step, body.Scalar("gain", gain)], name: "step_gain");
        body.Node("SequenceInsert", ["steps.in", scaled], output: "steps.out", name: "collect");
        body.Graph.Output.Add(Nodes.TensorInfo("cond_out", DataType.Bool));
        body.Graph.Output.Add(SequenceInfo("steps.out"));

        main.Graph.Node.Add(Nodes.Create("Loop", "loop", ["trips", "keep_going", "steps.initial"], ["steps"], Attributes.Graph("body", body.Graph)));
        main.Graph.ValueInfo.Add(SequenceInfo("steps"));
        var joined = main.Node("ConcatFromSequence", ["steps"], output: "joined", name: "join", attributes: Attributes.Int("axis", 1));
        var shrunk = main.Node("Div", [joined, main.Scalar("unscale", gain)], name: "unscale_div");
        main.Node("MatMul", [shrunk, main.Weight("head", [48, 8], 0.2f)], output: Output);
        return main.Model(13);
    }

    /// <summary>
    /// Two branches joined into a sequence, read back by SequenceAt and ConcatFromSequence; a third branch goes through an
    /// Optional (opset 15), and an empty Optional declares its float element type in an attribute (its
    /// OptionalHasElement picks the branch of a Where).
    /// </summary>
    public static ModelProto SequenceAndOptional(int seed = 89)
    {
        var b = new GraphBuilder("containers", new Random(seed));
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 16));
        var left = b.Node("Relu", [b.Node("MatMul", [Input, b.Weight("w.left", [16, 16], 0.3f)])]);
        var right = b.Node("Sigmoid", [b.Node("MatMul", [Input, b.Weight("w.right", [16, 16], 0.3f)])]);
        b.Node("SequenceConstruct", [left, right], output: "pair", name: "pair");
        b.Graph.ValueInfo.Add(SequenceInfo("pair"));
        b.Graph.Initializer.Add(TensorValues.Create<long>("first", DataType.Int64, [], [0L]));
        var head = b.Node("SequenceAt", ["pair", "first"], name: "pair_first");
        var joined = b.Node("ConcatFromSequence", ["pair"], name: "pair_join", attributes: Attributes.Int("axis", 1));
        var mixed = b.Node("MatMul", [joined, b.Weight("w.join", [32, 16], 0.2f)]);

        b.Node("Optional", [b.Node("MatMul", [Input, b.Weight("w.opt", [16, 16], 0.3f)])], output: "maybe", name: "wrap");
        b.Graph.ValueInfo.Add(new ValueInfoProto { Name = "maybe", Type = new TypeProto { OptionalType = new TypeProto.Types.Optional { ElemType = TensorType() } } });
        var unwrapped = b.Node("OptionalGetElement", ["maybe"], name: "unwrap");
        b.Graph.Node.Add(Nodes.Create("Optional", "nothing", [], ["extra"], new AttributeProto { Name = "type", Type = AttributeProto.Types.AttributeType.TypeProto, Tp = TensorType() }));
        var hasExtra = b.Node("OptionalHasElement", ["extra"], output: "has_extra");

        // The empty optional has no element, so Where picks the sum; the model still has to type-check both.
        b.Node("Where", [hasExtra, head, b.Node("Add", [b.Node("Add", [mixed, head]), unwrapped])], output: Output);
        return b.Model(15);
    }

    /// <summary>A MatMul by a sparse initializer (a quarter of its values nonzero) plus a bias held by a <c>sparse_value</c> Constant.</summary>
    public static ModelProto SparseWeights(int seed = 97)
    {
        var random = new Random(seed);
        var b = new GraphBuilder("sparse", random);
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 16));
        b.Graph.SparseInitializer.Add(Sparse("w.sparse", [16, 16], 4, random));
        var bias = new AttributeProto { Name = "sparse_value", Type = AttributeProto.Types.AttributeType.SparseTensor, SparseTensor = Sparse("bias.sparse", [16], 2, random) };
        b.Graph.Node.Add(Nodes.Create("Constant", "bias.constant", [], ["bias.sparse"], bias));
        b.Node("Add", [b.Node("MatMul", [Input, "w.sparse"]), "bias.sparse"], output: Output);
        return b.Model(13);
    }

    /// <summary>A COO sparse tensor keeping every <paramref name="stride"/>-th value (linear int64 indices).</summary>
    private static SparseTensorProto Sparse(string name, long[] dims, int stride, Random random)
    {
        var count = (int)dims.Aggregate(1L, (a, d) => a * d);
        var indices = Enumerable.Range(0, count).Where(i => i % stride == 0).Select(i => (long)i).ToArray();
        var values = TensorValues.ReadFloats(ConvNetModel.RandomTensor(random, name, [indices.Length], 0.3f));
        var sparse = new SparseTensorProto
        {
            Values = TensorValues.FromFloats(name, [indices.Length], values),
            Indices = TensorValues.Create<long>(name + ".indices", DataType.Int64, [indices.Length], indices),
        };
        sparse.Dims.AddRange(dims);
        return sparse;
    }

    private static TypeProto TensorType() => new() { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } };

    private static ValueInfoProto SequenceInfo(string name) =>
        new() { Name = name, Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = TensorType() } } };
}
