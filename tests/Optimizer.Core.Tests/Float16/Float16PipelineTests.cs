using Google.Protobuf;
using Optimizer.Core.Calibration;
using Optimizer.Core.Onnx;
using Optimizer.Core.Reports;
using Optimizer.Core.Verification;
using Optimizer.TestModels;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Tests.Float16;

[TestClass]
public sealed class Float16PipelineTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Pipeline_GpuProfiles_VerifyByEmulationAndSayWhichPathInTheReport()
    {
        var folder = Directory.CreateTempSubdirectory("optimizer-fp16-pipeline-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "net.onnx");
            File.WriteAllBytes(modelPath, TransformerBlockModel.Create().ToByteArray());
            var calibration = Directory.CreateDirectory(Path.Combine(folder, "calibration")).FullName;
            foreach (var sample in ModelRuns.RandomSamples(TransformerBlockModel.Input, [1, 8, 32], 4, seed: 71).Samples)
            {
                NpyWriter.Write(Path.Combine(calibration, $"{sample.Id}.npy"), sample.Inputs[0]);
            }

            File.WriteAllText(Path.Combine(folder, "compression.yaml"), """
                version: 1
                profiles:
                  gpu-fp16: {}
                  gpu-bf16: { extends: gpu-fp16, float16: { precision: bfloat16 } }
                """);

            var outcomes = new Pipeline(new RecordingSink()).Run(new CompressionRequest { ModelPath = modelPath, OutputDirectory = Path.Combine(folder, "out") });

            var fp16 = outcomes.Single(o => o.Report.Profile == "gpu-fp16");
            var bf16 = outcomes.Single(o => o.Report.Profile == "gpu-bf16");
            TestContext.WriteLine($"fp16 cosine {fp16.Report.Fidelity.Cosine:F6} size {fp16.Report.SizeRatio:F3}; bf16 cosine {bf16.Report.Fidelity.Cosine:F6} size {bf16.Report.SizeRatio:F3}");
            Assert.AreEqual(VerificationPath.Float16Emulation, fp16.Report.Verification);
            Assert.AreEqual(VerificationPath.Bfloat16Emulation, bf16.Report.Verification);
            Assert.IsGreaterThanOrEqualTo(0.999, fp16.Report.Fidelity.Cosine);
            Assert.IsGreaterThanOrEqualTo(0.999, bf16.Report.Fidelity.Cosine);
            Assert.IsTrue(ModelFile.Load(bf16.OutputPath).Graph.Initializer.All(i => i.DataType == (int)DataType.Bfloat16));
            StringAssert.Contains(File.ReadAllText(bf16.ReportPath!), "\"verification\": \"bfloat16-emulation\"");
            Assert.AreEqual(VerificationPath.Float16Emulation, ReportWriter.Read(fp16.ReportPath!).Verification);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
