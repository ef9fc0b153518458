namespace Optimizer.Build.Tests;

/// <summary>How the cache names dependencies: relative to the model's folder, so another checkout names them the same.</summary>
[TestClass]
public sealed class RelativePathTests
{
    [TestMethod]
    [DataRow("models/compression.yaml", "compression.yaml")]
    [DataRow("models/calibration/a.npy", "calibration/a.npy")]
    [DataRow("data/samples/a.npy", "../data/samples/a.npy")]
    [DataRow("data/samples", "../data/samples")]
    [DataRow("", "..")]
    public void From_TheModelsFolder_NamesTheFileRelatively_AndResolvesBackToIt(string file, string expected)
    {
        var root = Path.Combine(Path.GetTempPath(), "checkout");
        var models = Path.Combine(root, "models");
        var path = Path.GetFullPath(Path.Combine(root, file));

        var relative = RelativePath.From(models, path);

        Assert.AreEqual(expected, relative);
        Assert.AreEqual(path.TrimEnd(Path.DirectorySeparatorChar), RelativePath.Resolve(models, relative).TrimEnd(Path.DirectorySeparatorChar));
    }
}
