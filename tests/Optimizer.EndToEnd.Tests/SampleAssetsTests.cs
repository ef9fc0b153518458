using Optimizer.EndToEnd.Tests.Infrastructure;
using Optimizer.EndToEnd.Tests.SampleAssets;

namespace Optimizer.EndToEnd.Tests;

/// <summary>
/// The sample's model and calibration files are committed so the sample runs straight away; this keeps them equal to
/// what the generator makes. After changing the generator, regenerate them with
/// <c>OPTIMIZER_UPDATE_SAMPLE_ASSETS=1 dotnet test tests/Optimizer.EndToEnd.Tests --filter Name~SampleAssets</c>.
/// </summary>
[TestClass]
public sealed class SampleAssetsTests
{
    [TestMethod]
    public void SampleAssets_CommittedFiles_MatchTheGenerator()
    {
        if (Environment.GetEnvironmentVariable("OPTIMIZER_UPDATE_SAMPLE_ASSETS") == "1")
        {
            SampleAssetsWriter.Write(RepositoryPaths.SampleModels);
        }

        var generated = Path.Combine(Path.GetTempPath(), "optimizer-sample-assets-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var relative in SampleAssetsWriter.Write(generated))
            {
                var committed = Path.Combine(RepositoryPaths.SampleModels, relative);
                Assert.IsTrue(File.Exists(committed), $"{committed} is missing; regenerate the sample assets (see the class comment).");
                CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(generated, relative)), File.ReadAllBytes(committed),
                    $"{committed} differs from the generator's output; regenerate the sample assets (see the class comment).");
            }
        }
        finally
        {
            Directory.Delete(generated, recursive: true);
        }
    }

    [TestMethod]
    public void SampleModel_HasTheSizeTheCompressionRatiosNeed()
    {
        var bytes = new FileInfo(Path.Combine(RepositoryPaths.SampleModels, "net.onnx")).Length;

        // Big enough that int8 <= 0.3x and fp16 <= 0.52x are about the weights, not the graph's fixed overhead.
        Assert.IsTrue(bytes is > 1_000_000 and < 4_500_000, $"net.onnx is {bytes} bytes");
    }
}
