using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Calibration;

[TestClass]
public sealed class SyntheticInputsTests
{
    [TestMethod]
    public void Load_NoFolder_GeneratesSamplesFromShapesAndWarns()
    {
        var model = EmbeddingLikeModel();
        var sink = new RecordingSink();

        var set = CalibrationDataLoader.Load(model, directory: null, maxSamples: 5, sink, seed: 7);

        Assert.IsTrue(set.IsSynthetic);
        Assert.IsNull(set.Source);
        Assert.AreEqual(5, set.Samples.Count);
        var warning = sink.Warnings.Single();
        Assert.AreEqual(ErrorCodes.SyntheticCalibration, warning.Code);
        Assert.AreEqual(DiagnosticSeverity.Warning, warning.Severity);
        StringAssert.Contains(warning.Message, "calibration folder");

        var features = set.Samples[0].Inputs[0];
        var ids = set.Samples[0].Inputs[1];
        CollectionAssert.AreEqual(new long[] { 1, 8 }, features.Shape, "symbolic batch becomes 1");
        Assert.AreEqual(DataType.Int64, ids.ElementType);
        CollectionAssert.AreEqual(new long[] { 1, 8 }, ids.Shape);
        Assert.IsTrue(((long[])ids.Data).All(v => v is >= 0 and <= 9));
        Assert.IsTrue(((float[])features.Data).All(v => MathF.Abs(v) < 8f));

        using var session = ModelSession.Create(model, "embedding-like model");
        foreach (var sample in set.Samples)
        {
            Assert.IsTrue(session.Run(sample).Single().Values.All(float.IsFinite));
        }
    }

    [TestMethod]
    public void Generate_SameSeed_SameValues_OtherSeed_OtherValues()
    {
        var inputs = ModelInputs.Of(EmbeddingLikeModel());

        var first = SyntheticInputs.Generate(inputs, 3, seed: 1);
        var again = SyntheticInputs.Generate(inputs, 3, seed: 1);
        var other = SyntheticInputs.Generate(inputs, 3, seed: 2);

        CollectionAssert.AreEqual(first[2].Inputs[0].Data, again[2].Inputs[0].Data);
        CollectionAssert.AreEqual(first[2].Inputs[1].Data, again[2].Inputs[1].Data);
        CollectionAssert.AreNotEqual(first[2].Inputs[0].Data, other[2].Inputs[0].Data);
    }

    [TestMethod]
    public void Generate_ManySamplesAsked_IsCapped()
    {
        var samples = SyntheticInputs.Generate(ModelInputs.Of(EmbeddingLikeModel()), 1000);

        Assert.AreEqual(SyntheticInputs.MaxSamples, samples.Count);
    }

    [TestMethod]
    public void Generate_FloatValues_LookNormal()
    {
        var samples = SyntheticInputs.Generate(ModelInputs.Of(ConvNetModel.Create()), 4);

        var values = samples.SelectMany(s => (float[])s.Inputs[0].Data).ToArray();
        var mean = values.Average();
        var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        Assert.AreEqual(0, mean, 0.05);
        Assert.AreEqual(1, std, 0.05);
    }

    [TestMethod]
    public void ModelInputs_WeightsListedAsInputs_AreNotInputs()
    {
        var model = ConvNetModel.Create();
        // IR 3 exporters list every initializer as a graph input as well.
        model.Graph.Input.Add(Nodes.TensorInfo("fc.bias", DataType.Float, 10));

        var inputs = ModelInputs.Of(model);

        var input = inputs.Single();
        Assert.AreEqual(ConvNetModel.Input, input.Name);
        CollectionAssert.AreEqual(new long?[] { null, 3, 16, 16 }, input.Dims!.ToArray());
    }

    /// <summary><c>out = features + Cast(ids)</c>: a float input and an int64 input, both [batch, 8].</summary>
    private static ModelProto EmbeddingLikeModel()
    {
        var graph = new GraphProto { Name = "mixed" };
        graph.Input.Add(Nodes.TensorInfo("features", DataType.Float, "batch", 8));
        graph.Input.Add(Nodes.TensorInfo("ids", DataType.Int64, "batch", 8));
        graph.Output.Add(Nodes.TensorInfo("out", DataType.Float, "batch", 8));
        graph.Node.Add(Nodes.Create("Cast", "cast", ["ids"], ["ids.float"], Attributes.Int("to", (long)DataType.Float)));
        graph.Node.Add(Nodes.Create("Add", "add", ["features", "ids.float"], ["out"]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "optimizer-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }
}
