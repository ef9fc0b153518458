using Optimizer.TestModels.Fuzzing;

namespace Optimizer.Core.Tests.Robustness;

/// <summary>
/// A short, seeded fuzz run (a few seconds) over damaged models and compression.yaml files: every case must end in
/// success or a coded error. The long mode is <c>dotnet run -c Release --project benchmarks/Optimizer.Scale -- fuzz --fuzz-seconds 300</c>.
/// </summary>
[TestClass]
public sealed class FuzzTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Fuzz_SeededMutationsOfModelsAndYaml_EndOnlyInCodedErrors()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-fuzz-").FullName;
        var fuzzer = new Fuzzer(folder, caseLimit: TimeSpan.FromSeconds(60));

        var summary = fuzzer.Run(seed: 1, bytesCases: 150, structureCases: 60, yamlCases: 300);

        TestContext.WriteLine(summary.ToString());
        Assert.IsEmpty(summary.Findings, summary.ToString());
        Assert.IsGreaterThan(1, summary.Outcomes.Count, "the mutations must reach more than one outcome");
        Directory.Delete(folder, recursive: true);
    }
}
