using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

/// <summary>Small models shaped like the cases the float16 pass must handle: If-wrapped networks, Loops, overflow, Resize.</summary>
internal static class Float16TestModels
{
    public const string Input = "x";
    public const string Output = "y";

    /// <summary>
    /// The whole network inside an If: each branch reads the outer weights w1/w2 (outer-scope references) and has
    /// constants of its own; the then branch has a Max (exact in float16) against a branch constant.
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

    /// <summary>
    /// Two MatMuls a user keeps in float32 by name: one reads ordinary weights (|w| ~ 0.25), the other weights of
    /// ~1e-6, below float16's smallest normal (6.1e-5), where it keeps only a few significant bits; a Mul by 1e6
    /// brings that branch back to the scale of the other.
    /// </summary>
    public static ModelProto TinyWeights(int seed = 71)
    {
        var b = new GraphBuilder("tiny", new Random(seed));
        b.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        b.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 16));
        var normal = b.Node("MatMul", [Input, b.Weight("w.normal", [16, 16], 0.25f)], name: "normal_matmul");
        var tiny = b.Node("MatMul", [Input, b.Weight("w.tiny", [16, 16], 1e-6f)], name: "tiny_matmul");
        b.Node("Add", [normal, b.Node("Mul", [tiny, b.Scalar("rescale", 1e6f)])], output: Output);
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

    /// <summary>
    /// A Loop whose carried state grows past float16's range: six steps of h = (h·W)·8 + b with |h| reaching ~1e6, read
    /// back by a Div in the main graph. Only calibration data inside the body shows it.
    /// </summary>
    public static ModelProto LoopGrowing(int seed = 61)
    {
        var random = new Random(seed);
        var main = new GraphBuilder("growing_loop", random);
        main.Graph.Input.Add(Nodes.TensorInfo(Input, DataType.Float, "batch", 16));
        main.Graph.Output.Add(Nodes.TensorInfo(Output, DataType.Float, "batch", 16));
        main.Graph.Initializer.Add(TensorValues.Create<long>("trips", DataType.Int64, [], [6L]));
        main.Graph.Initializer.Add(TensorValues.Create<bool>("keep_going", DataType.Bool, [], [true]));
        var w = main.Weight("w", [16, 16], 0.25f);

        var body = new GraphBuilder("grow", random);
        body.Graph.Input.Add(Nodes.TensorInfo("i", DataType.Int64));
        body.Graph.Input.Add(Nodes.TensorInfo("cond_in", DataType.Bool));
        body.Graph.Input.Add(Nodes.TensorInfo("h", DataType.Float, "batch", 16));
        body.Node("Identity", ["cond_in"], output: "cond_out");
        var scaled = body.Node("Mul", [body.Node("MatMul", ["h", w]), body.Scalar("growth", 8f)], name: "grow_step");
        body.Node("Add", [scaled, body.Weight("grow.b", [16], 0.1f)], output: "h_next");
        body.Graph.Output.Add(Nodes.TensorInfo("cond_out", DataType.Bool));
        body.Graph.Output.Add(Nodes.TensorInfo("h_next", DataType.Float, "batch", 16));

        main.Graph.Node.Add(Nodes.Create("Loop", "loop", ["trips", "keep_going", Input], ["final"], Attributes.Graph("body", body.Graph)));
        main.Node("Tanh", [main.Node("Div", ["final", main.Scalar("shrink", 1e5f)], name: "shrink_div")], output: Output);
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
}
