using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Passes.Float16;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Verification;

/// <summary>
/// Builds a float32 model that computes what a float16 (or bfloat16) model computes on a GPU, so its numbers can be
/// checked on a CPU. ONNX Runtime's CPU provider runs most float16 ops in float32 and drops the roundings between
/// them, which hides float16 overflow (see ORT-FACTS). The emulation makes every rounding explicit instead: weights
/// become float32 holding their exact 16-bit values, every op runs in float32, and every output the 16-bit model
/// stores in 16 bits goes through <c>Cast(to 16-bit)</c> then <c>Cast(to float32)</c>, which ORT keeps and executes.
/// A value beyond 65504 thus becomes infinity exactly where a GPU's float16 output would. Accumulation inside an op
/// stays float32, as in CUDA's float16 kernels (cuBLAS/cuDNN accumulate in float32 by default).
/// </summary>
public static class ReducedPrecisionEmulation
{
    /// <summary>Attributes that name an output element type (Cast's <c>to</c> is handled on its own).</summary>
    private static readonly HashSet<string> TypeAttributes = new(StringComparer.Ordinal) { "dtype", "output_datatype", "output_dtype" };

    /// <summary>A float32 copy of <paramref name="model"/> with explicit 16-bit roundings; the input is not changed.</summary>
    public static ModelProto Create(ModelProto model)
    {
        var emulated = model.Clone();
        var scopes = new GraphScopes(emulated);
        var types = TensorElementTypes.Infer(scopes);
        var names = new UniqueNames(emulated);
        foreach (var graph in scopes.Graphs)
        {
            Emulate(graph, ReferenceEquals(graph, scopes.Main), types, names);
        }

        return emulated;
    }

    /// <summary>True for the 16-bit float types the emulation replaces.</summary>
    public static bool IsReduced(DataType? type) => type is DataType.Float16 or DataType.Bfloat16;

    private static void Emulate(GraphProto graph, bool isMain, TensorElementTypes types, UniqueNames names)
    {
        var roundedInputs = isMain ? graph.Input.Where(i => IsReduced(types.Get(graph, i.Name))).Select(i => (i.Name, Type: types.Get(graph, i.Name)!.Value)).ToList() : [];

        foreach (var tensor in graph.Initializer.Concat(graph.SparseInitializer.Select(s => s.Values)).Where(t => t is not null && IsReduced((DataType)t.DataType)))
        {
            ToFloat32(tensor);
        }

        foreach (var info in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            ValueTypeRetyping.Retype(info.Type, DataType.Float16, DataType.Float);
            ValueTypeRetyping.Retype(info.Type, DataType.Bfloat16, DataType.Float);
        }

        var nodes = new List<NodeProto>(graph.Node.Count * 2);

        // The app feeds float32 to the emulation; the 16-bit model would have received the rounded values.
        foreach (var (input, type) in roundedInputs)
        {
            var rounded = names.Take($"{input}.rounded");
            TensorRenaming.RenameUses(graph, input, rounded, includeOutputs: false);
            nodes.AddRange(RoundingCasts(input, rounded, type, names));
        }

        foreach (var node in graph.Node)
        {
            // Types are looked up by the original names, before this node's outputs are renamed below.
            var outputTypes = node.Output.Select(o => types.Get(graph, o)).ToList();
            var isCastToReduced = IsCast(node) && IsReduced((DataType)Attributes.GetInt(node, "to", 0));
            RetypeAttributes(node, keepCastTarget: isCastToReduced);
            nodes.Add(node);
            if (node.OpType == "Constant" || IsControlFlow(node))
            {
                // Constants hold exact 16-bit values now stored as float32; control-flow outputs come from body outputs rounded inside.
                continue;
            }

            for (var i = 0; i < node.Output.Count; i++)
            {
                var output = node.Output[i];
                if (output.Length == 0 || outputTypes[i] is not { } type || !IsReduced(type))
                {
                    continue;
                }

                if (isCastToReduced)
                {
                    // The Cast already rounds; only the way back to float32 is needed.
                    node.Output[i] = names.Take($"{output}.{Suffix(type)}");
                    nodes.Add(Nodes.Create("Cast", names.Take($"{output}.emulate_fp32"), [node.Output[i]], [output], Attributes.Int("to", (long)DataType.Float)));
                    continue;
                }

                node.Output[i] = names.Take($"{output}.exact");
                nodes.AddRange(RoundingCasts(node.Output[i], output, type, names));
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
    }

    /// <summary>Cast(to 16-bit) then Cast(to float32): rounds <paramref name="input"/> into <paramref name="output"/>, overflow to infinity included.</summary>
    private static NodeProto[] RoundingCasts(string input, string output, DataType type, UniqueNames names)
    {
        var rounded = names.Take($"{output}.{Suffix(type)}");
        return
        [
            Nodes.Create("Cast", names.Take($"{output}.emulate_{Suffix(type)}"), [input], [rounded], Attributes.Int("to", (long)type)),
            Nodes.Create("Cast", names.Take($"{output}.emulate_fp32"), [rounded], [output], Attributes.Int("to", (long)DataType.Float)),
        ];
    }

    private static void RetypeAttributes(NodeProto node, bool keepCastTarget)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.T is { } tensor && IsReduced((DataType)tensor.DataType))
            {
                ToFloat32(tensor);
            }

            foreach (var item in attribute.Tensors.Where(t => IsReduced((DataType)t.DataType)))
            {
                ToFloat32(item);
            }

            if (attribute.SparseTensor?.Values is { } sparse && IsReduced((DataType)sparse.DataType))
            {
                ToFloat32(sparse);
            }

            // An empty Optional declares its element type in a TypeProto attribute.
            ValueTypeRetyping.Retype(attribute.Tp, DataType.Float16, DataType.Float);
            ValueTypeRetyping.Retype(attribute.Tp, DataType.Bfloat16, DataType.Float);

            var namesType = TypeAttributes.Contains(attribute.Name) || (attribute.Name == "to" && IsCast(node) && !keepCastTarget);
            if (namesType && IsReduced((DataType)attribute.I))
            {
                attribute.I = (long)DataType.Float;
            }
        }
    }

    /// <summary>Stores a 16-bit tensor's values as float32; every 16-bit value is exactly representable, so nothing changes numerically.</summary>
    private static void ToFloat32(TensorProto tensor) => TensorValues.WidenToFloat32(tensor);

    private static bool IsCast(NodeProto node) => node.OpType == "Cast" && Opsets.IsDefaultDomain(node.Domain);

    private static bool IsControlFlow(NodeProto node) => Opsets.IsDefaultDomain(node.Domain) && Float16OpTables.ControlFlow.Contains(node.OpType);

    private static string Suffix(DataType type) => type == DataType.Bfloat16 ? "bf16" : "fp16";
}
