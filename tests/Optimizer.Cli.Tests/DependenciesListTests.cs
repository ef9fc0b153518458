using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.TestModels;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>compress --dependencies-list</c>: every file besides the model that the result depends on, so MSBuild can watch
/// files only the CLI finds (a YAML calibration folder elsewhere, validation samples, external data) and the cache can
/// check them.
/// </summary>
[TestClass]
public sealed class DependenciesListTests
{
    [TestMethod]
    public void Compress_DependenciesList_NamesYamlLayers_SamplesReadFromBothFolders_AndExternalData()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-cli-").FullName;
        var models = Directory.CreateDirectory(Path.Combine(folder, "models")).FullName;
        var model = Path.Combine(models, "net.onnx");
        // Every weight above the threshold goes to net.onnx.data, as in a model exported with external data.
        ModelFile.Save(ConvNetModel.Create(), model, externalDataAbove: 0);
        Assert.IsTrue(File.Exists(ModelFile.DataFilePath(model)), "the test model must have external data");
        var calibration = WriteSamples(Path.Combine(folder, "data", "calibration"), 3);
        // Validation samples in the other layout: one sub-folder per sample, one file per input.
        var validationFolder = Path.Combine(folder, "data", "validation");
        var validation = new[] { "s0", "s1", "s2" }.Select(s => WriteSamples(Path.Combine(validationFolder, s), 1, ConvNetModel.Input)[0]).ToArray();
        var folderYaml = Path.Combine(models, "compression.yaml");
        File.WriteAllText(folderYaml, "version: 1\ncalibration:\n  data: ../data/calibration/\n  validation_data: ../data/validation/\n  samples: 2\n");
        var modelYaml = Path.Combine(models, "net.compression.yaml");
        File.WriteAllText(modelYaml, "version: 1\ncalibration:\n  method: minmax\n");
        var list = Path.Combine(folder, "out", "net.dependencies.txt");

        var run = CliRun.Of("compress", model, "-p", "cpu-int8", "--output-dir", Path.Combine(folder, "out"), "--dependencies-list", list);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        // Samples: only the first two of each set (calibration.samples: 2) were read; the folders whose listings chose
        // them (each used sample sub-folder too) end with a separator.
        var expectedFiles = new[] { folderYaml, modelYaml, ModelFile.DataFilePath(model), calibration[0], calibration[1], validation[0], validation[1] }
            .Order(StringComparer.Ordinal);
        var expectedFolders = new[] { Path.GetDirectoryName(calibration[0])!, validationFolder, Path.GetDirectoryName(validation[0])!, Path.GetDirectoryName(validation[1])! }
            .Order(StringComparer.Ordinal).Select(f => f + Path.DirectorySeparatorChar);
        CollectionAssert.AreEqual(expectedFiles.Concat(expectedFolders).ToArray(), File.ReadAllLines(list), run.ToString());
    }

    [TestMethod]
    public void Compress_ThatFails_WritesNoDependenciesList()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-cli-").FullName;
        var model = ModelFiles.WriteConvNet(folder);
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\ncalibration:\n  data: missing/\n");
        var list = Path.Combine(folder, "net.dependencies.txt");

        var run = CliRun.Of("compress", model, "-p", "cpu-int8", "--output-dir", folder, "--dependencies-list", list);

        Assert.AreNotEqual(0, run.ExitCode, run.ToString());
        // A failed model is not stamped, so the next build retries it whatever it read; a partial list would only mislead.
        Assert.IsFalse(File.Exists(list), run.ToString());
    }

    private static string[] WriteSamples(string directory, int count, string? name = null)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(count);
        return Enumerable.Range(0, count).Select(i =>
        {
            var path = Path.Combine(directory, $"{name ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture)}.npy");
            NpyWriter.Write(path, Enumerable.Range(0, 3 * 16 * 16).Select(_ => (float)random.NextDouble()).ToArray(), [1, 3, 16, 16]);
            return path;
        }).ToArray();
    }
}
