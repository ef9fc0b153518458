using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;

namespace Optimizer.EndToEnd.Tests.SampleAssets;

/// <summary>Writes the sample's <c>models/net.onnx</c> and <c>models/calibration/*.npy</c>.</summary>
public static class SampleAssetsWriter
{
    /// <summary>Writes every asset under <paramref name="modelsDirectory"/> and returns their paths relative to it.</summary>
    public static IReadOnlyList<string> Write(string modelsDirectory)
    {
        var written = new List<string>();
        Directory.CreateDirectory(Path.Combine(modelsDirectory, "calibration"));

        File.WriteAllBytes(Path.Combine(modelsDirectory, "net.onnx"), ModelFile.ToBytes(SampleClassifierModel.Create()));
        written.Add("net.onnx");

        for (var i = 0; i < SampleCalibrationImages.Count; i++)
        {
            var relative = Path.Combine("calibration", SampleCalibrationImages.FileName(i));
            NpyWriter.Write(Path.Combine(modelsDirectory, relative), SampleCalibrationImages.Create(i), SampleClassifierModel.SampleShape);
            written.Add(relative);
        }

        return written;
    }
}
