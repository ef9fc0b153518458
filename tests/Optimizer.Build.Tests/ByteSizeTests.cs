using Optimizer.Shared;
namespace Optimizer.Build.Tests;

/// <summary>Sizes in MSBuild properties: the forms compression.yaml accepts, binary units.</summary>
[TestClass]
public sealed class ByteSizeTests
{
    [TestMethod]
    [DataRow("0", 0L)]
    [DataRow("1048576", 1048576L)]
    [DataRow("500MB", 500L << 20)]
    [DataRow("500 mb", 500L << 20)]
    [DataRow("2GB", 2L << 30)]
    [DataRow(" 1.5G ", 3L << 29)]
    [DataRow("64 KB", 64L << 10)]
    [DataRow("1TB", 1L << 40)]
    [DataRow("100B", 100L)]
    public void Sizes_ParseToBytes(string text, long bytes)
    {
        Assert.IsTrue(ByteSize.TryParse(text, out var parsed));
        Assert.AreEqual(bytes, parsed);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("lots")]
    [DataRow("-1")]
    [DataRow("2 XB")]
    [DataRow("1e9")]
    [DataRow("1,5GB")]
    [DataRow("99999999999TB")]
    public void NonSizes_AreRejected(string text)
    {
        Assert.IsFalse(ByteSize.TryParse(text, out _));
    }

    [TestMethod]
    public void Format_ReadsLikeTheInput()
    {
        Assert.AreEqual("2.0 GB", ByteSize.Format(2L << 30));
        Assert.AreEqual("1.5 MB", ByteSize.Format(3L << 19));
        Assert.AreEqual("512 B", ByteSize.Format(512));
    }
}
