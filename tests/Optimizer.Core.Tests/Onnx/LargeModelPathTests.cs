using Google.Protobuf;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Onnx;

/// <summary>
/// The paths models over 2 GB take, exercised with small models and a small threshold: ORT sessions from a file with
/// external data, typed-field weights moved to the side file, staged saves measured before they are committed.
/// </summary>
[TestClass]
public sealed class LargeModelPathTests
{
    private static string NewFolder() => Directory.CreateTempSubdirectory("optimizer-large-").FullName;

    private static CalibrationSet Samples() => ModelRuns.RandomSamples(ConvNetModel.Input, [2, 3, 16, 16], count: 2, seed: 5);

    [TestMethod]
    public void Session_FromAFileWithExternalData_GivesTheOutputsOfTheInMemorySession()
    {
        var model = ConvNetModel.Create(opset: 11);
        var before = model.ToByteArray();
        var samples = Samples();
        var expected = ModelRuns.RunAll(model, samples);

        float[] actual;
        using (var session = ModelSession.Create(model, "conv net", optimizedModelPath: null, threads: 0, fileAbove: 0))
        {
            Assert.IsTrue(session.LoadedFromFile);
            actual = samples.Samples.SelectMany(s => session.Run(s).SelectMany(r => r.Values)).ToArray();
        }

        CollectionAssert.AreEqual(expected, actual);
        CollectionAssert.AreEqual(before, model.ToByteArray(), "the caller's model keeps its weights inline");
        using var small = ModelSession.Create(model, "conv net");
        Assert.IsFalse(small.LoadedFromFile, "a small model goes to ORT as bytes");
    }

    [TestMethod]
    public void Save_WeightsInTypedFields_MovesThemToTheSideFileWithTheSameValues()
    {
        var model = ConvNetModel.Create();
        var fc = model.Graph.Initializer.Single(t => t.Name == "fc.weight");
        var values = TensorValues.ReadFloats(fc);
        fc.ClearRawData();
        fc.FloatData.AddRange(values);
        var expected = ModelRuns.RunAll(model, Samples());
        var path = Path.Combine(NewFolder(), "net.onnx");

        ModelFile.Save(model, path, externalDataAbove: 1024);

        var saved = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var savedFc = saved.Graph.Initializer.Single(t => t.Name == "fc.weight");
        Assert.AreEqual(TensorProto.Types.DataLocation.External, savedFc.DataLocation);
        Assert.AreEqual(0, savedFc.FloatData.Count);
        CollectionAssert.AreEqual(values, TensorValues.ReadFloats(ModelFile.Load(path).Graph.Initializer.Single(t => t.Name == "fc.weight")));
        CollectionAssert.AreEqual(values, TensorValues.ReadFloats(fc), "the caller's tensor keeps its values");
        CollectionAssert.AreEqual(expected, ModelRuns.RunAll(ModelFile.Load(path), Samples()));
    }

    [TestMethod]
    public void Stage_WithExternalData_CountsBothFilesAndShowsNothingUntilCommitted()
    {
        var folder = NewFolder();
        var path = Path.Combine(folder, "net.onnx");
        var model = ConvNetModel.Create();

        using (var dropped = ModelFile.Stage(model, path, externalDataAbove: 1024))
        {
            CollectionAssert.AreEqual(new[] { path, path + ".data" }, dropped.Files.ToArray());
            Assert.IsFalse(File.Exists(path), "nothing is visible before the commit");
        }

        Assert.AreEqual(0, Directory.GetFiles(folder).Length, "a staged model that is dropped leaves no files");

        using var staged = ModelFile.Stage(model, path, externalDataAbove: 1024);
        var bytes = staged.Bytes;
        staged.Commit();

        Assert.AreEqual(new FileInfo(path).Length + new FileInfo(path + ".data").Length, bytes);
        Assert.IsGreaterThan((long)model.CalculateSize(), bytes, "the side file aligns large weights, so it is never smaller than the weights");
        Assert.AreEqual(bytes, ModelFile.LoadWithSize(path).DiskBytes, "the size on disk of a loaded model counts its external data");
    }

    [TestMethod]
    public void NeedsExternalData_CountsTensorBytesAsLong()
    {
        var model = ConvNetModel.Create();
        var weightBytes = ModelWalker.AllTensors(model).Sum(t => (long)t.RawData.Length);

        Assert.IsTrue(ModelFile.NeedsExternalData(model, weightBytes));
        Assert.IsFalse(ModelFile.NeedsExternalData(model, model.CalculateSize() + 1L));
        Assert.IsFalse(ModelFile.NeedsExternalData(model), "a small model stays one file by default");
    }
}
