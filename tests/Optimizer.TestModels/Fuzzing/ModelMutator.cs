using Google.Protobuf;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.TestModels.Fuzzing;

/// <summary>
/// Seeded mutations of a valid model: byte-level damage (bit flips, cuts, splices, absurd varints) that mostly
/// breaks parsing, and structure-level edits (dims, names, ops, opsets, element types, data) that parse fine and
/// must be caught by validation, the passes or ONNX Runtime with a coded error.
/// </summary>
public static class ModelMutator
{
    private static readonly string[] OpTypes = ["Conv", "Gemm", "MatMul", "Relu", "Add", "If", "Loop", "Constant", "Cast", "Reshape", "QuantizeLinear", "Foo"];

    /// <summary>Applies 1-3 byte mutations to <paramref name="bytes"/>.</summary>
    public static byte[] MutateBytes(byte[] bytes, Random random)
    {
        var result = bytes.ToList();
        for (var n = random.Next(1, 4); n > 0 && result.Count > 0; n--)
        {
            var at = random.Next(result.Count);
            switch (random.Next(6))
            {
                case 0: result[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: result[at] = (byte)random.Next(256); break;
                case 2: result.RemoveRange(at, result.Count - at); break;
                case 3: result.InsertRange(at, Enumerable.Range(0, random.Next(1, 16)).Select(_ => (byte)random.Next(256))); break;
                case 4:
                    var length = Math.Min(random.Next(1, 64), result.Count - at);
                    result.InsertRange(random.Next(result.Count), result.GetRange(at, length));
                    break;
                default: result.InsertRange(at, [0xFF, 0xFF, 0xFF, 0xFF, 0x07]); break; // a 2 GB varint
            }
        }

        return result.ToArray();
    }

    /// <summary>Returns a copy of <paramref name="model"/> with 1-2 structure mutations.</summary>
    public static ModelProto MutateStructure(ModelProto model, Random random)
    {
        var copy = model.Clone();
        for (var n = random.Next(1, 3); n > 0; n--)
        {
            MutateOnce(copy, random);
        }

        return copy;
    }

    private static void MutateOnce(ModelProto model, Random random)
    {
        var graph = model.Graph;
        var tensors = ModelWalker.AllTensors(model).ToList();
        var node = graph.Node[random.Next(graph.Node.Count)];
        var names = graph.Node.SelectMany(n => n.Output).Concat(graph.Input.Select(i => i.Name)).Concat(graph.Initializer.Select(i => i.Name)).ToList();
        var tensor = tensors[random.Next(tensors.Count)];
        switch (random.Next(14))
        {
            case 0: if (tensor.Dims.Count > 0) tensor.Dims[random.Next(tensor.Dims.Count)] = Pick(random, 0, -1, 1, 3, 1L << 31, long.MaxValue); break;
            case 1: tensor.Dims.Add(Pick(random, 1, 2, 0)); break;
            case 2: tensor.RawData = ByteString.CopyFrom(tensor.RawData.Span[..random.Next(tensor.RawData.Length + 1)]); break;
            case 3: tensor.DataType = (int)Pick(random, 0, 2, 3, 7, 8, 10, 16, 22, 99); break;
            case 4: if (node.Input.Count > 0) node.Input[random.Next(node.Input.Count)] = names[random.Next(names.Count)]; break;
            case 5: if (node.Output.Count > 0) node.Output[0] = names[random.Next(names.Count)]; break;
            case 6: node.OpType = OpTypes[random.Next(OpTypes.Length)]; break;
            case 7: graph.Node.Remove(node); break;
            case 8: graph.Node.Insert(random.Next(graph.Node.Count), node.Clone()); break;
            case 9: model.OpsetImport[0].Version = Pick(random, 1, 7, 9, 11, 13, 17, 21, 26, 27); break;
            case 10: node.Attribute.Add(Attributes.Ints(node.Attribute.Count > 0 ? node.Attribute[0].Name : "axis", Pick(random, -1, 0, 5, 1L << 40))); break;
            case 11:
                var dim = graph.Input[0].Type.TensorType.Shape.Dim[random.Next(graph.Input[0].Type.TensorType.Shape.Dim.Count)];
                dim.DimValue = Pick(random, 0, 1, 7, -3, 100000);
                break;
            case 12: node.Domain = Pick(random, "com.microsoft", "ai.onnx.ml", "com.acme"); break;
            default: graph.Output[0].Type.TensorType.ElemType = (int)Pick(random, 1, 7, 10, 0); break;
        }
    }

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
