using Optimizer.Core.Calibration;
using Optimizer.Core.Calibration.Images;
using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.TestModels;
using SkiaSharp;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Calibration;

[TestClass]
public sealed class ImageCalibrationTests
{
    // A 2x2 image: red, green / blue, (10, 20, 30).
    private static readonly SKColor[] Pixels = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(10, 20, 30)];

    [TestMethod]
    public void Read_Png_GivesHandComputedNchwRgbValues()
    {
        var png = WritePng(Folder(), "a.png", 2, 2, Pixels);
        var preprocessing = new ImagePreprocessing { Height = 2, Width = 2, Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.5f, 1f] };

        var tensor = ImageTensorReader.Read(png, "image", preprocessing);

        CollectionAssert.AreEqual(new long[] { 1, 3, 2, 2 }, tensor.Shape);
        float V(float pixel, int c) => ((pixel / 255f) - 0.5f) / new[] { 0.25f, 0.5f, 1f }[c];
        var expected = new[]
        {
            V(255, 0), V(0, 0), V(0, 0), V(10, 0), // R plane
            V(0, 1), V(255, 1), V(0, 1), V(20, 1), // G plane
            V(0, 2), V(0, 2), V(255, 2), V(30, 2), // B plane
        };
        CollectionAssert.AreEqual(expected, (float[])tensor.Data, new Tolerance(1e-6f));
    }

    [TestMethod]
    public void Read_NhwcBgr_InterleavesChannelsInBgrOrder()
    {
        var png = WritePng(Folder(), "a.png", 2, 2, Pixels);
        var preprocessing = new ImagePreprocessing { Height = 2, Width = 2, Layout = ImageLayout.Nhwc, Channels = ImageChannels.Bgr, Scale = 1f };

        var values = (float[])ImageTensorReader.Read(png, "image", preprocessing).Data;

        CollectionAssert.AreEqual(new float[] { 0, 0, 255, 0, 255, 0, 255, 0, 0, 30, 20, 10 }, values);
    }

    [TestMethod]
    public void Read_Gray_UsesBt601Luminance()
    {
        var png = WritePng(Folder(), "a.png", 2, 2, Pixels);
        var preprocessing = new ImagePreprocessing { Height = 2, Width = 2, Channels = ImageChannels.Gray, Scale = 1f };

        var values = (float[])ImageTensorReader.Read(png, "image", preprocessing).Data;

        CollectionAssert.AreEqual(new[] { 0.299f * 255, 0.587f * 255, 0.114f * 255, (0.299f * 10) + (0.587f * 20) + (0.114f * 30) }, values, new Tolerance(1e-3f));
    }

    [TestMethod]
    public void Load_FolderOfImages_ResizesToTheModelInputAndRunsInOnnxRuntime()
    {
        var folder = Folder();
        for (var i = 0; i < 3; i++)
        {
            WritePng(folder, $"img{i}.png", 40, 30, Enumerable.Repeat(new SKColor((byte)(50 * i), 128, 200), 40 * 30).ToArray());
        }

        var samples = CalibrationDataLoader.Load(ConvNetModel.Create(), folder, 8, new RecordingSink());
        var outputs = ModelRuns.RunAll(ConvNetModel.Create(), samples);

        Assert.AreEqual(3, samples.Samples.Count);
        var first = samples.Samples[0].Inputs[0];
        CollectionAssert.AreEqual(new long[] { 1, 3, 16, 16 }, first.Shape);
        // A uniform image stays uniform through a bilinear resize: every red value is 0, every blue value 200/255.
        var values = (float[])first.Data;
        Assert.IsTrue(values.Take(256).All(v => v == 0f));
        Assert.IsTrue(values.Skip(512).All(v => Math.Abs(v - (200f / 255f)) < 1e-6f));
        Assert.IsTrue(outputs.All(float.IsFinite));
    }

    [TestMethod]
    public void Load_ImagesForASymbolicSizeInput_AskForTheSize()
    {
        var folder = Folder();
        WritePng(folder, "a.png", 2, 2, Pixels);
        var model = ConvNetModel.Create();
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        dims[2] = new Optimizer.Core.Onnx.Proto.TensorShapeProto.Types.Dimension { DimParam = "height" };

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(model, folder, 8, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationMismatch, error.Code);
        StringAssert.Contains(error.Message, "calibration.images.size");
        Assert.AreEqual(Path.Combine(folder, "a.png"), error.File);
    }

    [TestMethod]
    public void Load_ConfiguredSizeAndNormalization_AreApplied()
    {
        var folder = Folder();
        WritePng(folder, "a.png", 2, 2, Pixels);
        var config = ConfigLoader.Parse("version: 1\ncalibration:\n  images:\n    size: [16, 16]\n    mean: [0.5]\n    std: [0.5]\n", "/m/compression.yaml");

        var sample = CalibrationDataLoader.Load(ConvNetModel.Create(), folder, 8, new RecordingSink(), images: config.Calibration.Images).Samples.Single();

        var values = (float[])sample.Inputs[0].Data;
        Assert.AreEqual(16 * 16 * 3, values.Length);
        Assert.IsTrue(values.All(v => v is >= -1f and <= 1f), "values normalized to [-1, 1]");
    }

    [TestMethod]
    public void Load_MeanWithTheWrongNumberOfValues_IsAConfigError()
    {
        var folder = Folder();
        WritePng(folder, "a.png", 2, 2, Pixels);
        var config = ConfigLoader.Parse("version: 1\ncalibration:\n  images:\n    mean: [0.5, 0.5]\n", "/m/compression.yaml");

        var error = Assert.ThrowsExactly<OptimizerException>(() =>
            CalibrationDataLoader.Load(ConvNetModel.Create(), folder, 8, new RecordingSink(), images: config.Calibration.Images));

        Assert.AreEqual(ErrorCodes.ConfigInvalidValue, error.Code);
        Assert.AreEqual("/m/compression.yaml", error.File);
        Assert.AreEqual(4, error.Line);
    }

    [TestMethod]
    public void Load_ACorruptImage_IsOPT3002NamingTheFile()
    {
        var folder = Folder();
        File.WriteAllBytes(Path.Combine(folder, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);

        var error = Assert.ThrowsExactly<OptimizerException>(() => CalibrationDataLoader.Load(ConvNetModel.Create(), folder, 8, new RecordingSink()));

        Assert.AreEqual(ErrorCodes.CalibrationUnreadable, error.Code);
        Assert.AreEqual(Path.Combine(folder, "broken.png"), error.File);
    }

    private static string Folder() => Directory.CreateTempSubdirectory("optimizer-images-").FullName;

    private static string WritePng(string folder, string name, int width, int height, SKColor[] pixels)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var i = 0; i < pixels.Length; i++)
        {
            bitmap.SetPixel(i % width, i / width, pixels[i]);
        }

        var path = Path.Combine(folder, name);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    private sealed class Tolerance(float epsilon) : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs((float)x! - (float)y!) <= epsilon ? 0 : 1;
    }
}
