using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using Optimizer.Core.Runtime;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Calibration;

[TestClass]
public sealed class CalibrationDataLoaderTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Load_OneNpyFilePerSample_RunsTheConvNetToFiniteOutputs()
    {
        var directory = NewFolder();
        var random = new Random(3);
        foreach (var name in new[] { "sample10.npy", "sample2.npy", "sample1.npy" })
        {
            NpyWriter.Write(Path.Combine(directory, name), Image(random), [1, 3, 16, 16]);
        }

        File.WriteAllText(Path.Combine(directory, "README.txt"), "not data");
        var sink = new RecordingSink();

        var set = CalibrationDataLoader.Load(ConvNetModel.Create(), directory, maxSamples: 2, sink);

        Assert.IsFalse(set.IsSynthetic);
        Assert.AreEqual(directory, set.Source);
        CollectionAssert.AreEqual(new[] { "sample1.npy", "sample10.npy" }, set.Samples.Select(s => s.Id).ToArray(), "ordinal order, first maxSamples");
        Assert.AreEqual(0, sink.Warnings.Count);
        AssertRunsToFiniteLogits(set);
    }

    [TestMethod]
    public void Load_OnePbFilePerSample_RunsTheConvNet()
    {
        var directory = NewFolder();
        var random = new Random(4);
        for (var i = 0; i < 3; i++)
        {
            TensorProtoFile.Write(Path.Combine(directory, $"input_{i}.pb"), new CalibrationTensor("whatever", DataType.Float, [2, 3, 16, 16], Image(random, batch: 2)));
        }

        var set = CalibrationDataLoader.Load(ConvNetModel.Create(), directory, maxSamples: 100, new RecordingSink());

        Assert.AreEqual(3, set.Samples.Count);
        Assert.AreEqual(ConvNetModel.Input, set.Samples[0].Inputs[0].Name);
        AssertRunsToFiniteLogits(set);
    }

    [TestMethod]
    public void Load_OneSubFolderPerSample_RunsTheConvNet()
    {
        var directory = NewFolder();
        var random = new Random(5);
        foreach (var sample in new[] { "b", "a" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(directory, sample)).FullName;
            NpyWriter.Write(Path.Combine(folder, $"{ConvNetModel.Input}.npy"), Image(random), [1, 3, 16, 16]);
        }

        var set = CalibrationDataLoader.Load(ConvNetModel.Create(), directory, maxSamples: 10, new RecordingSink());

        CollectionAssert.AreEqual(new[] { "a", "b" }, set.Samples.Select(s => s.Id).ToArray());
        AssertRunsToFiniteLogits(set);
    }

    [TestMethod]
    public void Load_TwoInputModel_MatchesFilesBySafeNameAndTensorName()
    {
        var directory = NewFolder();
        for (var i = 0; i < 2; i++)
        {
            var folder = Directory.CreateDirectory(Path.Combine(directory, $"sample{i}")).FullName;
            // "input:0" cannot be a Windows file name: written with '_' instead. "offsets/b" comes from a .pb named by its tensor.
            NpyWriter.Write(Path.Combine(folder, "input_0.npy"), new[] { 1f, 2f, 3f, 4f + i }, [1, 4]);
            TensorProtoFile.Write(Path.Combine(folder, "second.pb"), new CalibrationTensor(AddModel.InputB, DataType.Float, [1, 4], new[] { 10f, 20f, 30f, 40f }));
            TensorProtoFile.Write(Path.Combine(folder, "output_0.pb"), new CalibrationTensor(AddModel.Output, DataType.Float, [1, 4], new float[4]));
        }

        var sink = new RecordingSink();
        var model = AddModel.Create();

        var set = CalibrationDataLoader.Load(model, directory, maxSamples: 10, sink);

        Assert.AreEqual(2, set.Samples.Count);
        CollectionAssert.AreEqual(new[] { AddModel.InputA, AddModel.InputB }, set.Samples[1].Inputs.Select(t => t.Name).ToArray());
        using var session = ModelSession.Create(model, "add model");
        var sum = session.Run(set.Samples[1]).Single();
        CollectionAssert.AreEqual(new[] { 11f, 22f, 33f, 45f }, sum.Values);
        Assert.IsTrue(sink.Details.Any(d => d.Contains("output_0.pb", StringComparison.Ordinal) && d.Contains("ignored", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Load_TwoInputModelWithFilesInTheFolder_IsMismatchSayingToUseSubFolders()
    {
        var directory = NewFolder();
        NpyWriter.Write(Path.Combine(directory, "sample0.npy"), new float[4], [1, 4]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(AddModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationMismatch, error.Code);
        StringAssert.Contains(error.Message, "sub-folder");
    }

    [TestMethod]
    public void Load_SampleFolderMissingAnInput_IsMismatchNamingInputAndFolder()
    {
        var directory = NewFolder();
        var folder = Directory.CreateDirectory(Path.Combine(directory, "sample0")).FullName;
        NpyWriter.Write(Path.Combine(folder, "input_0.npy"), new float[4], [1, 4]);
        NpyWriter.Write(Path.Combine(folder, "offset.npy"), new float[4], [1, 4]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(AddModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationMismatch, error.Code);
        Assert.AreEqual(folder, error.File);
        StringAssert.Contains(error.Message, "'offsets/b'");
        StringAssert.Contains(error.Message, "offsets_b.npy");
        StringAssert.Contains(error.Message, "'offset.npy'");
    }

    [TestMethod]
    public void Load_FixedDimDisagrees_IsMismatchNamingTheFile()
    {
        var directory = NewFolder();
        var path = Path.Combine(directory, "small.npy");
        NpyWriter.Write(path, new float[3 * 8 * 8], [1, 3, 8, 8]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(ConvNetModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationMismatch, error.Code);
        Assert.AreEqual(path, error.File);
        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, "[1, 3, 8, 8]");
        StringAssert.Contains(error.Message, "[?, 3, 16, 16]");
    }

    [TestMethod]
    public void Load_MissingBatchDim_IsMismatchSuggestingNewAxis()
    {
        var directory = NewFolder();
        NpyWriter.Write(Path.Combine(directory, "chw.npy"), new float[3 * 16 * 16], [3, 16, 16]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(ConvNetModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationMismatch, error.Code);
        StringAssert.Contains(error.Message, "rank 4");
        StringAssert.Contains(error.Message, "np.newaxis");
    }

    [TestMethod]
    public void Load_IntegerDataForFloatInput_IsMismatchSuggestingAstype()
    {
        var directory = NewFolder();
        NpyWriter.Write(Path.Combine(directory, "ints.npy"), new long[3 * 16 * 16], [1, 3, 16, 16]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(ConvNetModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationMismatch, error.Code);
        StringAssert.Contains(error.Message, "int64");
        StringAssert.Contains(error.Message, "astype(np.float32)");
    }

    [TestMethod]
    public void Load_Float64DataForFloatInput_IsConvertedWithADetail()
    {
        var directory = NewFolder();
        var values = Enumerable.Range(0, 3 * 16 * 16).Select(i => i / 100.0).ToArray();
        NpyWriter.Write(Path.Combine(directory, "a.npy"), values, [1, 3, 16, 16]);
        NpyWriter.Write(Path.Combine(directory, "b.npy"), values, [1, 3, 16, 16]);
        var sink = new RecordingSink();

        var set = CalibrationDataLoader.Load(ConvNetModel.Create(), directory, 10, sink);

        var tensor = set.Samples[0].Inputs[0];
        Assert.AreEqual(DataType.Float, tensor.ElementType);
        Assert.AreEqual(0.01f, ((float[])tensor.Data)[1]);
        Assert.AreEqual(1, sink.Details.Count(d => d.Contains("float64", StringComparison.Ordinal)), "reported once per input, not per file");
        AssertRunsToFiniteLogits(set);
    }

    [TestMethod]
    public void Load_Int32DataForInt64Input_IsWidenedAndRuns()
    {
        var graph = new GraphProto { Name = "ids" };
        graph.Input.Add(Nodes.TensorInfo("ids", DataType.Int64, "batch", 3));
        graph.Output.Add(Nodes.TensorInfo("out", DataType.Int64, "batch", 3));
        graph.Node.Add(Nodes.Create("Neg", "neg", ["ids"], ["out"]));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var directory = NewFolder();
        NpyWriter.Write(Path.Combine(directory, "tokens.npy"), new[] { 1, 2, int.MaxValue }, [1, 3]);
        File.WriteAllBytes(Path.Combine(directory, ".hidden.npy"), [1, 2, 3]);

        var set = CalibrationDataLoader.Load(model, directory, 10, new RecordingSink());

        var ids = set.Samples.Single().Inputs.Single();
        CollectionAssert.AreEqual(new long[] { 1, 2, int.MaxValue }, (long[])ids.Data);
        using var session = ModelSession.Create(model, "neg model");
        CollectionAssert.AreEqual(new[] { -1f, -2f, -int.MaxValue }, session.Run(set.Samples[0]).Single().Values);
    }

    [TestMethod]
    public void Load_EmptyFolder_IsUnreadable()
    {
        var directory = NewFolder();

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(ConvNetModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        Assert.AreEqual(directory, error.File);
        StringAssert.Contains(error.Message, "empty");
    }

    [TestMethod]
    public void Load_FolderNotFound_IsUnreadable()
    {
        var directory = Path.Combine(NewFolder(), "missing");

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(ConvNetModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        StringAssert.Contains(error.Message, "does not exist");
    }

    [TestMethod]
    public void Load_FilesAndSubFoldersMixed_IsUnreadableAskingForOneLayout()
    {
        var directory = NewFolder();
        NpyWriter.Write(Path.Combine(directory, "a.npy"), new float[3 * 16 * 16], [1, 3, 16, 16]);
        Directory.CreateDirectory(Path.Combine(directory, "b"));

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(ConvNetModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        StringAssert.Contains(error.Message, "one layout");
    }

    [TestMethod]
    public void Load_TruncatedFileInFolder_IsUnreadableNamingIt()
    {
        var directory = NewFolder();
        var path = Path.Combine(directory, "a.npy");
        NpyWriter.Write(path, new float[3 * 16 * 16], [1, 3, 16, 16]);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..200]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(ConvNetModel.Create(), directory, 10, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        Assert.AreEqual(path, error.File);
    }

    private static float[] Image(Random random, int batch = 1) =>
        Enumerable.Range(0, batch * 3 * 16 * 16).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    private static void AssertRunsToFiniteLogits(CalibrationSet set)
    {
        using var session = ModelSession.Create(ConvNetModel.Create(), "conv net");
        foreach (var sample in set.Samples)
        {
            var logits = session.Run(sample).Single();
            Assert.AreEqual(10, logits.Shape[^1]);
            Assert.IsTrue(logits.Values.All(float.IsFinite), $"sample {sample.Id} gave non-finite logits");
        }
    }

    private string NewFolder() =>
        Directory.CreateDirectory(Path.Combine(TestContext.TestRunResultsDirectory!, Guid.NewGuid().ToString("N"))).FullName;
}
