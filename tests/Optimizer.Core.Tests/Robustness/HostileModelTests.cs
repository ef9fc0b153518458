using Google.Protobuf;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.TestModels;
using static Optimizer.Core.Tests.Robustness.ModelScratch;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Robustness;

/// <summary>Damaged and malicious model files: each is refused at load with a coded error, quickly and without large allocations.</summary>
[TestClass]
public sealed class HostileModelTests
{
    [TestMethod]
    public void Load_TruncatedAnywhere_GivesOPT2002()
    {
        var bytes = ConvNetModel.Create().ToByteArray();
        // Every cut inside the first bytes (field headers) and then every 97th byte through the weights.
        var cuts = Enumerable.Range(0, 64).Concat(Enumerable.Range(1, bytes.Length / 97).Select(i => i * 97)).Where(c => c < bytes.Length);
        foreach (var cut in cuts)
        {
            var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Parse(bytes[..cut], "net.onnx"), $"cut at {cut}");
            Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code, $"cut at {cut}");
        }
    }

    [TestMethod]
    [DataRow(0x07u, DisplayName = "2 GB length prefix")]
    [DataRow(0x0Fu, DisplayName = "4 GB length prefix (negative as int32)")]
    public void Load_AbsurdLengthPrefix_GivesOPT2002WithoutAllocatingIt(uint lastVarintByte)
    {
        // ir_version = 8, then field 7 (graph) with a varint length of 2^31 - 1 or more and only two bytes behind it.
        byte[] bytes = [0x08, 0x08, 0x3A, 0xFF, 0xFF, 0xFF, 0xFF, (byte)lastVarintByte, 0x01, 0x02];
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = LoadFails(bytes);

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code);
        Assert.IsLessThan(16L * 1024 * 1024, GC.GetAllocatedBytesForCurrentThread() - before, "the claimed length must never be allocated");
    }

    [TestMethod]
    public void Load_GraphsNestedDeeperThanTheRecursionLimit_GivesOPT2002()
    {
        var graph = new GraphProto { Name = "leaf" };
        for (var depth = 0; depth < 200; depth++)
        {
            var node = Nodes.Create("If", $"if{depth}", ["cond"], [$"y{depth}"], Attributes.Graph("then_branch", graph));
            graph = new GraphProto { Name = $"level{depth}" };
            graph.Node.Add(node);
        }

        var error = LoadFails(new ModelProto { IrVersion = 8, Graph = graph });

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code);
        StringAssert.Contains(error.Message, "nesting");
    }

    [TestMethod]
    public void Load_FileOf2GBOrMore_GivesOPT2032WithoutReadingIt()
    {
        var path = Path.Combine(NewFolder(), "huge.onnx");
        using (var stream = File.Create(path))
        {
            // A sparse file: no disk space, but the size a real over-limit export would have.
            stream.SetLength(int.MaxValue + 1L);
        }

        try
        {
            var error = Assert.ThrowsExactly<OptimizerException>(() => ModelFile.Load(path));

            Assert.AreEqual(ErrorCodes.ModelTooLarge, error.Code);
            StringAssert.Contains(error.Message, "external data");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    [DataRow("short raw_data")]
    [DataRow("long typed data")]
    [DataRow("negative dim")]
    [DataRow("gigantic dims")]
    [DataRow("overflowing dims")]
    [DataRow("no element type")]
    public void Load_TensorWhoseDimsDisagreeWithItsData_GivesOPT2002NamingIt(string damage)
    {
        var model = ConvNetModel.Create();
        var fc = model.Graph.Initializer.Single(t => t.Name == "fc.weight");
        switch (damage)
        {
            case "short raw_data": fc.RawData = ByteString.CopyFrom(fc.RawData.Span[..^4]); break;
            case "long typed data":
                fc.FloatData.AddRange(TensorValues.ReadFloats(fc).Append(1f));
                fc.ClearRawData();
                break;
            case "negative dim": fc.Dims[0] = -10; break;
            case "gigantic dims": fc.Dims[0] = 1L << 40; break;
            case "overflowing dims": fc.Dims.Add([1L << 40, 1L << 40]); break;
            default: fc.DataType = 0; break;
        }

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code, error.Message);
        StringAssert.Contains(error.Message, "'fc.weight'");
    }

    [TestMethod]
    public void Load_ConstantNodeTensorWithShortData_GivesOPT2002NamingIt()
    {
        var model = ConvNetModel.Create();
        var weight = model.Graph.Node.Single(n => n.Name == "conv0.weight.constant").Attribute[0].T;
        weight.Dims[0] *= 2;

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code);
        StringAssert.Contains(error.Message, "'conv0.weight'");
    }

    [TestMethod]
    [DataRow(-1L)]
    [DataRow(1L << 33)]
    public void Load_InputWithImpossibleShape_GivesOPT2002(long dim)
    {
        var model = ConvNetModel.Create();
        model.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimValue = dim;

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelInvalid, error.Code);
        StringAssert.Contains(error.Message, "'image'");
    }

    [TestMethod]
    public void Load_Cycle_GivesOPT2030NamingANodeOnIt()
    {
        var model = ConvNetModel.Create();
        // relu1 now reads its own consumer's output: conv1 -> relu1 -> pool1 -> conv2 -> relu2 ... -> relu1.
        model.Graph.Node.Single(n => n.Name == "conv1").Input[0] = "relu2.out";

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelGraphInvalid, error.Code);
        StringAssert.Contains(error.Message, "cycle");
        StringAssert.Matches(error.Message, new System.Text.RegularExpressions.Regex(@"Node '(conv1|relu1|pool1|conv2|relu2)' \((Conv|Relu|MaxPool)\)"));
    }

    [TestMethod]
    public void Load_DanglingInput_GivesOPT2030NamingNodeAndOp()
    {
        var model = ConvNetModel.Create();
        model.Graph.Node.Single(n => n.Name == "relu1").Input[0] = "conv1.out.renamed";

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelGraphInvalid, error.Code);
        StringAssert.Contains(error.Message, "Node 'relu1' (Relu)");
        StringAssert.Contains(error.Message, "'conv1.out.renamed'");
    }

    [TestMethod]
    [DataRow("node output")]
    [DataRow("initializer")]
    [DataRow("graph output")]
    public void Load_DuplicateName_GivesOPT2030(string what)
    {
        var model = ConvNetModel.Create();
        switch (what)
        {
            case "node output": model.Graph.Node.Single(n => n.Name == "relu1").Output[0] = "relu0.out"; break;
            case "initializer": model.Graph.Initializer.Add(model.Graph.Initializer[0].Clone()); break;
            default: model.Graph.Output.Add(model.Graph.Output[0].Clone()); break;
        }

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelGraphInvalid, error.Code);
    }

    [TestMethod]
    public void Load_OutputNothingProduces_GivesOPT2030()
    {
        var model = ConvNetModel.Create();
        model.Graph.Output[0].Name = "probabilities";

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelGraphInvalid, error.Code);
        StringAssert.Contains(error.Message, "'probabilities'");
    }

    [TestMethod]
    public void Load_SubgraphReadingOuterScopeAndUnsortedNodes_IsAccepted()
    {
        var model = ConvNetModel.Create();
        var nodes = model.Graph.Node.Reverse().ToList();
        model.Graph.Node.Clear();
        model.Graph.Node.AddRange(nodes);
        var branch = new GraphProto { Name = "then" };
        branch.Node.Add(Nodes.Create("Identity", "inner", ["features"], ["inner.out"]));
        branch.Output.Add(Nodes.TensorInfo("inner.out", DataType.Float, "batch", 64));
        model.Graph.Initializer.Add(TensorValues.Create<bool>("always", DataType.Bool, [], [true]));
        model.Graph.Node.Add(Nodes.Create("If", "maybe", ["always"], ["maybe.out"],
            Attributes.Graph("then_branch", branch), Attributes.Graph("else_branch", branch.Clone())));
        model.Graph.Output.Add(Nodes.TensorInfo("maybe.out", DataType.Float, "batch", 64));

        ModelFile.Load(Write(model));
    }

    [TestMethod]
    [DataRow(27L)]
    [DataRow(0L)]
    public void Load_UnsupportedOpset_GivesOPT2031(long opset)
    {
        var model = ConvNetModel.Create();
        model.OpsetImport[0].Version = opset;

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelOpsetUnsupported, error.Code);
        StringAssert.Contains(error.Message, $"opset {opset}");
    }

    [TestMethod]
    public void Load_IrVersionNewerThanTheRuntime_GivesOPT2031()
    {
        var model = ConvNetModel.Create();
        model.IrVersion = ModelValidator.NewestIrVersion + 1;

        Assert.AreEqual(ErrorCodes.ModelOpsetUnsupported, LoadFails(model).Code);
    }

    [TestMethod]
    public void Load_NodeOfADomainTheModelDoesNotImport_GivesOPT2031NamingIt()
    {
        var model = ConvNetModel.Create();
        model.Graph.Node.Single(n => n.Name == "relu0").Domain = "com.acme";

        var error = LoadFails(model);

        Assert.AreEqual(ErrorCodes.ModelOpsetUnsupported, error.Code);
        StringAssert.Contains(error.Message, "Node 'relu0' (com.acme.Relu)");
    }
}
