using Optimizer.Core.Onnx;
using Optimizer.Core.Passes.Pruning;
using Optimizer.Core.Reports;
using Optimizer.TestModels;

namespace Optimizer.Core.Tests.Pruning;

[TestClass]
public sealed class PruningPipelineTests
{
    [TestMethod]
    public void Pipeline_WithRootAndProfilePruning_PrunesFirstThenQuantizes()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-pruning-pipeline-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "net.onnx");
            File.WriteAllBytes(modelPath, ModelFile.ToBytes(ConvNetModel.Create(width: 16)));
            File.WriteAllText(Path.Combine(folder, "compression.yaml"), """
                version: 1
                pruning: { method: channel, sparsity: 0.25 }
                profiles:
                  cpu-int8: {}
                  edge: { extends: cpu-int8, pruning: { sparsity: 50% } }
                """);

            var outcomes = new Pipeline(new RecordingSink()).Run(new CompressionRequest { ModelPath = modelPath, OutputDirectory = Path.Combine(folder, "out") });

            var byProfile = outcomes.ToDictionary(o => o.Report.Profile);
            foreach (var outcome in outcomes)
            {
                CollectionAssert.AreEqual(new[] { "prune-channels", "quantize-int8" }, outcome.Report.Passes.Select(p => p.Name).ToArray());
            }

            Assert.IsTrue(byProfile["cpu-int8"].Report.Passes[0].Notes.Any(n => n == "  conv1: 32 -> 24 channels"));
            Assert.IsTrue(byProfile["edge"].Report.Passes[0].Notes.Any(n => n == "  conv1: 32 -> 16 channels"));
            Assert.IsLessThan(byProfile["cpu-int8"].Report.OptimizedBytes, byProfile["edge"].Report.OptimizedBytes);
            Assert.IsGreaterThan(0.9, byProfile["edge"].Report.Fidelity.Cosine, "verified on the final, pruned and quantized model");
            Assert.AreEqual(3, ModelFile.Load(byProfile["edge"].OutputPath).Graph.Node.Count(n => n.OpType == "Conv"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Pipeline_MagnitudePruningAndInt8_ReportsGzipSizesOnlyForTheProfileThatPruned()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-pruning-gzip-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "net.onnx");
            File.WriteAllBytes(modelPath, ModelFile.ToBytes(ConvNetModel.Create(width: 32)));
            File.WriteAllText(Path.Combine(folder, "compression.yaml"), """
                version: 1
                profiles:
                  cpu-int8: {}
                  sparse: { extends: cpu-int8, pruning: { method: magnitude, sparsity: 80% } }
                """);

            var outcomes = new Pipeline(new RecordingSink()).Run(new CompressionRequest { ModelPath = modelPath, OutputDirectory = Path.Combine(folder, "out") });

            var byProfile = outcomes.ToDictionary(o => o.Report.Profile);
            Assert.IsNull(byProfile["cpu-int8"].Report.Compressed, "no pruning, no gzip sizes");
            var sparse = ReportWriter.Read(byProfile["sparse"].ReportPath!).Compressed!;
            Assert.AreEqual(ModelSizes.Of(ModelFile.Load(modelPath)).CompressedBytes, sparse.OriginalBytes);
            Assert.AreEqual(ModelSizes.Of(ModelFile.Load(byProfile["sparse"].OutputPath)).CompressedBytes, sparse.OptimizedBytes);
            Assert.IsLessThan(byProfile["sparse"].Report.SizeRatio * 0.8, sparse.Ratio, "80% zeros compress far better than the INT8 file shrinks");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
