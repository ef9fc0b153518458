using Google.Protobuf;
using Optimizer.Core.Reports;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Reports;

/// <summary>
/// Real reports to render: the conv net compressed once for both profiles, with budgets (one broken, as a warning),
/// so the renderings are checked against numbers the pipeline actually measured.
/// </summary>
internal static class ReportFixture
{
    private static readonly Lazy<IReadOnlyList<CompressionReport>> Compressed = new(Compress);

    /// <summary>The cpu-int8 and gpu-fp16 reports, in that order.</summary>
    public static IReadOnlyList<CompressionReport> Reports => Compressed.Value;

    private static IReadOnlyList<CompressionReport> Compress()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-reports-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "net.onnx"), ConvNetModel.Create().ToByteArray());
        File.WriteAllText(Path.Combine(folder, "compression.yaml"), "version: 1\nbudgets:\n  min_cosine: 0.95\n  max_size: 1 KB\n");
        var outcomes = new Pipeline(new RecordingSink()).Run(new CompressionRequest
        {
            ModelPath = Path.Combine(folder, "net.onnx"),
            OutputDirectory = Path.Combine(folder, "out"),
            BudgetsAsWarnings = true,
        });
        return outcomes.Select(o => o.Report).ToList();
    }
}
