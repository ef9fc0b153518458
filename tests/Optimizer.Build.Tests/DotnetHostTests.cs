namespace Optimizer.Build.Tests;

/// <summary>Which dotnet runs the CLI.</summary>
[TestClass]
[DoNotParallelize]
public sealed class DotnetHostTests
{
    [TestMethod]
    public void Resolve_PrefersDotnetHostPath_ElseTheNameOnPath()
    {
        var saved = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var fakeHost = Path.GetTempFileName();
        try
        {
            Environment.SetEnvironmentVariable("DOTNET_HOST_PATH", fakeHost);
            Assert.AreEqual(fakeHost, DotnetHost.Resolve());

            Environment.SetEnvironmentVariable("DOTNET_HOST_PATH", null);
            Assert.AreEqual(DotnetHost.ExecutableName, DotnetHost.Resolve());
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_HOST_PATH", saved);
            File.Delete(fakeHost);
        }
    }
}
