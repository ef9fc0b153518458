using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// Pruning, run before quantization or float16 conversion: unstructured magnitude pruning (zeroed weights that
/// compress) or structured channel pruning (removed channels: a smaller, faster model). Reports the model's size and
/// its gzip size before and after. Only the main graph is pruned; weights inside If/Loop/Scan bodies are left as they are.
/// </summary>
public sealed class PruningPass(PruningOptions? options = null) : IModelPass
{
    /// <summary>The settings this pass runs with.</summary>
    public PruningOptions Options { get; } = options ?? new PruningOptions();

    /// <inheritdoc/>
    public string Name => Options.Method == PruningMethod.Magnitude ? "prune-magnitude" : "prune-channels";

    /// <inheritdoc/>
    public ModelProto Apply(ModelProto model, PassContext context)
    {
        // Exporters often keep weights in Constant nodes; as initializers they are found and pruned like any other.
        var hoisted = ConstantHoisting.HoistAll(model);
        if (hoisted > 0)
        {
            context.Note($"hoisted {hoisted} Constant-node tensors to initializers");
        }

        var before = ModelSizes.Of(model);
        if (Options.Method == PruningMethod.Magnitude)
        {
            var layers = PrunableLayers.Find(model, Options.Exclude);
            var result = MagnitudePruner.Prune(layers, Options.Sparsity, Options.Scope);
            context.Note($"zeroed {result.Zeroed} of {result.Considered} weights ({(result.Considered == 0 ? 0 : result.Zeroed / (double)result.Considered):P1}) " +
                $"in {result.Layers} Conv/Gemm/MatMul layers ({Options.Scope.ToString().ToLowerInvariant()} threshold)");
            context.Note("ONNX Runtime has no sparse kernel for these dense Conv/Gemm/MatMul layouts: the zeros shrink the compressed size, not the latency");
        }
        else
        {
            ChannelPruner.Prune(model, Options, context);
        }

        var inSubgraphs = ModelWalker.AllGraphs(model).Skip(1).SelectMany(g => g.Node).Count(PrunableLayers.IsWeightOp);
        if (inSubgraphs > 0)
        {
            context.Note($"left {inSubgraphs} Conv/Gemm/MatMul nodes inside If/Loop/Scan bodies unpruned");
        }

        context.Note($"size {before} -> {ModelSizes.Of(model)}");
        return model;
    }
}
