using System.Collections.Concurrent;
using Google.Protobuf;
using Optimizer.Core;
using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.TestModels.Fuzzing;

/// <summary>
/// A bounded, seeded mutation loop over small valid models and compression.yaml files. Every case goes through the
/// same front door as a build (files on disk, <see cref="ModelFile.Load"/>, then the whole <see cref="Pipeline"/> when
/// the model loads); the only acceptable failure is an <see cref="OptimizerException"/> with a non-internal code.
/// Anything else, or a case exceeding its time limit, is a <see cref="FuzzFinding"/>, with its input kept for replay.
/// </summary>
public sealed class Fuzzer(string workFolder, TimeSpan caseLimit)
{
    private readonly ConcurrentDictionary<string, int> _cases = new();
    private readonly ConcurrentDictionary<string, int> _outcomes = new();
    private readonly List<FuzzFinding> _findings = [];
    private readonly byte[] _model = ConvNetModel.Create(opset: 11, width: 4, imageSize: 8).ToByteArray();

    /// <summary>Runs <paramref name="bytesCases"/>, <paramref name="structureCases"/> and <paramref name="yamlCases"/> cases from <paramref name="seed"/>.</summary>
    public FuzzSummary Run(int seed, int bytesCases, int structureCases, int yamlCases)
    {
        for (var i = 0; i < bytesCases; i++) BytesCase(seed + i);
        for (var i = 0; i < structureCases; i++) StructureCase(seed + i);
        for (var i = 0; i < yamlCases; i++) YamlCase(seed + i);
        return Summary();
    }

    /// <summary>Runs cases of every kind in turn until <paramref name="duration"/> has passed (the benchmark's long mode).</summary>
    public FuzzSummary RunFor(int seed, TimeSpan duration)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = seed; clock.Elapsed < duration; i++)
        {
            BytesCase(i);
            StructureCase(i);
            YamlCase(i);
        }

        return Summary();
    }

    /// <summary>One byte-mutation case: damaged model bytes, loaded and (when they load) compressed.</summary>
    public void BytesCase(int seed) => ModelCase("bytes", seed, ModelMutator.MutateBytes(_model, new Random(seed)));

    /// <summary>One structure-mutation case: a well-formed protobuf whose content is wrong.</summary>
    public void StructureCase(int seed) =>
        ModelCase("structure", seed, ModelMutator.MutateStructure(ModelProto.Parser.ParseFrom(_model), new Random(seed)).ToByteArray());

    /// <summary>One YAML case: a mutated compression.yaml parsed and validated.</summary>
    public void YamlCase(int seed)
    {
        var text = YamlMutator.Mutate(YamlMutator.Valid, new Random(seed));
        var file = Path.Combine(workFolder, $"yaml-{seed}.compression.yaml");
        Execute("yaml", seed, file, () => File.WriteAllText(file, text), () => ConfigLoader.Parse(text, file));
    }

    private void ModelCase(string kind, int seed, byte[] bytes)
    {
        var folder = Path.Combine(workFolder, $"{kind}-{seed}");
        var model = Path.Combine(folder, "net.onnx");
        Execute(kind, seed, folder,
            () =>
            {
                Directory.CreateDirectory(folder);
                File.WriteAllBytes(model, bytes);
                File.WriteAllText(Path.Combine(folder, "net.compression.yaml"), "version: 1\ncalibration:\n  samples: 2\n");
            },
            () => new Pipeline(new QuietSink()).Run(new CompressionRequest { ModelPath = model, OutputDirectory = Path.Combine(folder, "out") }));
    }

    private void Execute(string kind, int seed, string input, Action prepare, Action body)
    {
        _cases.AddOrUpdate(kind, 1, (_, n) => n + 1);
        prepare();
        var run = Task.Run(body);
        string outcome;
        string? problem = null;
        try
        {
            outcome = run.Wait(caseLimit) ? "ok" : "hang";
            problem = outcome == "hang" ? $"no result after {caseLimit.TotalSeconds:0} s (hang)" : null;
        }
        catch (AggregateException ex) when (ex.InnerException is OptimizerException coded && coded.Code != ErrorCodes.Internal)
        {
            outcome = coded.Code;
        }
        catch (AggregateException ex)
        {
            var inner = ex.InnerException!;
            outcome = "crash";
            problem = $"{inner.GetType().Name}: {inner.Message}\n{inner.StackTrace}";
        }

        _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        if (problem is not null)
        {
            lock (_findings)
            {
                _findings.Add(new FuzzFinding(kind, seed, problem, input));
            }
        }
        else
        {
            // Keep only the inputs of findings, so a long run does not fill the disk.
            if (Directory.Exists(input)) Directory.Delete(input, recursive: true);
            else File.Delete(input);
        }
    }

    private FuzzSummary Summary() => new(new Dictionary<string, int>(_cases), new Dictionary<string, int>(_outcomes), _findings.ToList());

    private sealed class QuietSink : IDiagnosticSink
    {
        public void Warn(Diagnostic diagnostic)
        {
        }

        public void Detail(string message)
        {
        }
    }
}
