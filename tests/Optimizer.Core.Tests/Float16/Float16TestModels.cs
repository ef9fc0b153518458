using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

/// <summary>Small models shaped like the cases the float16 pass must handle: transformer blocks, If-wrapped networks, overflow.</summary>
internal static class Float16TestModels
{
    public const string Input = "x";
    public const string Output = "y";

    /// <summary>
    /// One pre-norm transformer block on [batch, 8, 32]: LayerNormalization (opset 17), Q/K/V MatMuls, scaled Softmax
    /// attention, output projection, residual, a decomposed LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div) and an MLP.
    /// </summary>
    public static ModelProto TransformerBlock(int dim = 32, int seed = 3)
    {
        var random = new Random(seed);
        var b = new GraphBuilder("transformer", random);
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 8, dim));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 8, dim));

        var ln = b.Node("LayerNormalization", [Input, b.Weight("ln.gamma", [dim], 0.1f, 1f), b.Weight("ln.beta", [dim], 0.1f)],
            Attributes.Int("axis", -1), Attributes.Float("epsilon", 1e-5f));
        var q = b.Linear(ln, dim, dim, "q");
        var k = b.Linear(ln, dim, dim, "k");
        var v = b.Linear(ln, dim, dim, "v");
        var kt = b.Node("Transpose", [k], Attributes.Ints("perm", 0, 2, 1));
        var scores = b.Node("Mul", [b.Node("MatMul", [q, kt]), b.Scalar("scale", 1f / MathF.Sqrt(dim))]);
        var attention = b.Node("MatMul", [b.Node("Softmax", [scores], Attributes.Int("axis", -1)), v]);
        var residual = b.Node("Add", [Input, b.Linear(attention, dim, dim, "o")]);

        // Decomposed LayerNorm, as older exporters write it.
        var mean = b.Node("ReduceMean", [residual], Attributes.Ints("axes", -1), Attributes.Int("keepdims", 1));
        var centered = b.Node("Sub", [residual, mean]);
        var variance = b.Node("ReduceMean", [b.Node("Pow", [centered, b.Scalar("two", 2f)])], Attributes.Ints("axes", -1), Attributes.Int("keepdims", 1));
        var normalized = b.Node("Div", [centered, b.Node("Sqrt", [b.Node("Add", [variance, b.Scalar("eps", 1e-12f)])])]);
        var ln2 = b.Node("Add", [b.Node("Mul", [normalized, b.Weight("ln2.gamma", [dim], 0.1f, 1f)]), b.Weight("ln2.beta", [dim], 0.1f)]);

        var hidden = b.Node("Relu", [b.Linear(ln2, dim, dim * 2, "ff1")]);
        b.Node("Add", [residual, b.Linear(hidden, dim * 2, dim, "ff2")], output: Output);
        return b.Model(17);
    }

    /// <summary>
    /// The whole network inside an If: each branch reads the outer weights w1/w2 (outer-scope references) and has
    /// constants of its own; the then branch has a Max, which the default block list keeps in float32.
    /// </summary>
    public static ModelProto IfWrapped(int seed = 5)
    {
        var random = new Random(seed);
        var main = new GraphBuilder("if_model", random);
        main.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        main.Graph.Input.Add(Nodes.TensorInfo("cond", DataType.Bool));
        main.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 8));
        var w1 = main.Weight("w1", [16, 32], 0.25f);
        var w2 = main.Weight("w2", [32, 8], 0.18f);

        var then = new GraphBuilder("then", random);
        var hidden = then.Node("Relu", [then.Node("Add", [then.Node("MatMul", [Input, w1]), then.Weight("then.b1", [32], 0.1f)])]);
        var floor = then.Node("Max", [hidden, then.Scalar("then.floor", 0.05f)]);
        then.Node("MatMul", [floor, w2], output: "then.out");
        then.Graph.Output.Add(Nodes.TensorInfo("then.out", DataType.Float, "batch", 8));

        var otherwise = new GraphBuilder("else", random);
        var gated = otherwise.Node("Sigmoid", [otherwise.Node("MatMul", [Input, w1])]);
        otherwise.Node("Mul", [otherwise.Node("MatMul", [gated, w2]), otherwise.Scalar("else.gain", 0.5f)], output: "else.out");
        otherwise.Graph.Output.Add(Nodes.TensorInfo("else.out", DataType.Float, "batch", 8));

        main.Graph.Node.Add(Nodes.Create("If", "branch", ["cond"], [Output],
            Attributes.Graph("then_branch", then.Graph), Attributes.Graph("else_branch", otherwise.Graph)));
        return main.Model(13);
    }

    /// <summary>
    /// x·W + 10 is about 10, so the Mul by 1e4 produces about 1e5 (beyond float16's 65504) before a Div brings it back:
    /// only calibration ranges can tell, since every weight fits float16.
    /// </summary>
    public static ModelProto Overflowing(float gain = 1e4f, int seed = 7)
    {
        var random = new Random(seed);
        var b = new GraphBuilder("overflow", random);
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 8));
        var h = b.Node("Add", [b.Node("MatMul", [Input, b.Weight("w", [16, 16], 0.25f)]), b.Scalar("offset", 10f)]);
        var big = b.Node("Mul", [h, b.Scalar("gain", gain)], name: "scale_up");
        var back = b.Node("Div", [big, b.Scalar("divisor", gain)], name: "scale_down");
        b.Node("MatMul", [b.Node("Tanh", [back]), b.Weight("w2", [16, 8], 0.25f)], output: Output);
        return b.Model(13);
    }

    /// <summary>A Loop carrying a float state h through three steps of tanh(h·W + b), W from the outer graph.</summary>
    public static ModelProto LoopCarried(int seed = 37)
    {
        var random = new Random(seed);
        var main = new GraphBuilder("loop_model", random);
        main.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        main.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 16));
        var w = main.Weight("w", [16, 16], 0.3f);
        main.Graph.Initializer.Add(TensorValues.Create<long>("trips", DataType.Int64, [], [3L]));
        main.Graph.Initializer.Add(TensorValues.Create<bool>("keep_going", DataType.Bool, [], [true]));

        var body = new GraphBuilder("body", random);
        body.Graph.Input.Add(Nodes.TensorInfo("i", DataType.Int64));
        body.Graph.Input.Add(Nodes.TensorInfo("cond_in", DataType.Bool));
        body.Graph.Input.Add(Nodes.TensorInfo("h", DataType.Float, "batch", 16));
        body.Node("Identity", ["cond_in"], output: "cond_out");
        body.Node("Tanh", [body.Node("Add", [body.Node("MatMul", ["h", w]), body.Weight("body.b", [16], 0.1f)])], output: "h_next");
        body.Graph.Output.Add(Nodes.TensorInfo("cond_out", DataType.Bool));
        body.Graph.Output.Add(Nodes.TensorInfo("h_next", DataType.Float, "batch", 16));

        main.Graph.Node.Add(Nodes.Create("Loop", "loop", ["trips", "keep_going", Input], [Output], Attributes.Graph("body", body.Graph)));
        return main.Model(13);
    }

    /// <summary>A decoder step: Conv, then Resize by 2 with float scales (which must stay float32) and an empty roi.</summary>
    public static ModelProto ConvResize(int seed = 47)
    {
        var b = new GraphBuilder("decoder", new Random(seed));
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 3, 8, 8));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 4, 16, 16));
        var conv = b.Node("Conv", [Input, b.Weight("conv.weight", [4, 3, 3, 3], 0.3f)], Attributes.Ints("pads", 1, 1, 1, 1));
        b.Graph.Initializer.Add(TensorValues.FromFloats("scales", [4], [1f, 1f, 2f, 2f]));
        b.Node("Resize", [conv, "", "scales"], Output, "resize", Attributes.String("mode", "linear"));
        return b.Model(13);
    }

    /// <summary>An exporter-style identity Cast to float feeding CumSum (blocked): the pass must not leave a Cast round trip.</summary>
    public static ModelProto CastIntoBlockedOp()
    {
        var b = new GraphBuilder("cast_cumsum", new Random(9));
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 16));
        var cast = b.Node("Cast", [Input], Attributes.Int("to", (long)DataType.Float));
        var axis = "axis";
        b.Graph.Initializer.Add(TensorValues.Create<long>(axis, DataType.Int64, [], [1L]));
        var summed = b.Node("CumSum", [cast, axis]);
        b.Node("Mul", [summed, b.Weight("w", [16], 0.5f)], output: Output);
        return b.Model(13);
    }

    /// <summary>
    /// Moves the whole network of a single-input, single-output model into both branches of an If on a new bool input
    /// <c>cond</c>, as some exporters do; the branches read the model input from the outer scope.
    /// </summary>
    public static ModelProto WrapInIf(ModelProto model)
    {
        var inner = model.Graph;
        var output = inner.Output.Single().Clone();
        var wrapped = new GraphProto { Name = inner.Name + "_if" };
        wrapped.Input.Add(inner.Input);
        wrapped.Input.Add(Nodes.TensorInfo("cond", DataType.Bool));
        wrapped.Output.Add(output);
        var branches = new[] { "then", "else" }.Select(prefix =>
        {
            var branch = inner.Clone();
            branch.Name = prefix;
            branch.Input.Clear();
            // A branch may not redefine the If's output name, which the outer graph defines.
            TensorRenaming.RenameDefinition(branch, output.Name, $"{prefix}.{output.Name}");
            TensorRenaming.RenameUses(branch, output.Name, $"{prefix}.{output.Name}", includeOutputs: true);
            return branch;
        }).ToList();
        wrapped.Node.Add(Nodes.Create("If", "wrapper", ["cond"], [output.Name],
            Attributes.Graph("then_branch", branches[0]), Attributes.Graph("else_branch", branches[1])));
        var result = model.Clone();
        result.Graph = wrapped;
        return result;
    }

    /// <summary>Appends nodes with generated names, so model code reads as the dataflow it builds.</summary>
    internal sealed class GraphBuilder(string name, Random random)
    {
        private int _next;

        public GraphProto Graph { get; } = new() { Name = name };

        public string Node(string op, string[] inputs, params AttributeProto[] attributes) => Node(op, inputs, null, null, attributes);

        public string Node(string op, string[] inputs, string? output = null, string? name = null, params AttributeProto[] attributes)
        {
            var id = $"{Graph.Name}.{op.ToLowerInvariant()}{_next++}";
            output ??= id + ".out";
            Graph.Node.Add(Nodes.Create(op, name ?? id, inputs, [output], attributes));
            return output;
        }

        public string Weight(string tensor, long[] dims, float scale, float offset = 0f)
        {
            var values = TensorValues.ReadFloats(ConvNetModel.RandomTensor(random, tensor, dims, scale)).Select(v => v + offset).ToArray();
            Graph.Initializer.Add(TensorValues.FromFloats(tensor, dims, values));
            return tensor;
        }

        /// <summary>A scalar held by a Constant node, as exporters write them.</summary>
        public string Scalar(string tensor, float value)
        {
            Graph.Node.Add(Nodes.Create("Constant", tensor + ".constant", [], [tensor], Attributes.Tensor("value", TensorValues.FromFloats(tensor, [], [value]))));
            return tensor;
        }

        public string Linear(string input, int inFeatures, int outFeatures, string prefix) =>
            Node("Add", [Node("MatMul", [input, Weight($"{prefix}.weight", [inFeatures, outFeatures], MathF.Sqrt(1f / inFeatures))]), Weight($"{prefix}.bias", [outFeatures], 0.05f)]);

        public ModelProto Model(int opset)
        {
            var model = new ModelProto { IrVersion = 8, ProducerName = "optimizer-tests", Graph = Graph };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
            return model;
        }
    }
}
