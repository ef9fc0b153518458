using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Core.Calibration;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx;
using Optimizer.Core.Onnx.Proto;
using DataType = Optimizer.Core.Onnx.Proto.TensorProto.Types.DataType;

namespace Optimizer.Core.Runtime;

/// <summary>
/// An ONNX Runtime CPU session over an in-memory model, used for calibration, sensitivity and verification.
/// Every ORT failure becomes a coded error naming what was being loaded, because the raw ORT message alone
/// rarely tells a user which of several models failed.
/// </summary>
public sealed class ModelSession : IDisposable
{
    /// <summary>
    /// Models holding at least this many weight bytes reach ORT as a temporary file with external data rather than as
    /// serialized bytes (<see cref="SessionModelFile"/>); <see cref="ModelFile.ExternalDataAboveVariable"/> lowers it.
    /// </summary>
    public const long FileAbove = 64L * 1024 * 1024;

    private readonly InferenceSession _session;
    private readonly string _description;
    private readonly SessionModelFile? _file;

    private ModelSession(InferenceSession session, string description, SessionModelFile? file)
    {
        _session = session;
        _description = description;
        _file = file;
    }

    /// <summary>The model's output names, in graph order.</summary>
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>
    /// Creates a session. <paramref name="optimizedModelPath"/>, when set, makes ORT save the graph it will actually
    /// execute (after its fusions), which is how tests prove that QDQ pairs became integer kernels.
    /// </summary>
    public static ModelSession Create(ModelProto model, string description, string? optimizedModelPath = null, int threads = 0) =>
        Create(model, description, optimizedModelPath, threads, Math.Min(FileAbove, ModelFile.ExternalDataAbove));

    /// <summary>
    /// Creates a session over a model built only to be run here (a verification emulation): a large one reaches ORT as a
    /// temporary file whose weights are dropped from managed memory before ORT loads them, so they are held once, not
    /// twice (<see cref="SessionModelFile.WriteReleasing"/>). The model cannot be used afterwards.
    /// </summary>
    public static ModelSession CreateReleasing(ModelProto model, string description, int threads = 0) =>
        Create(model, description, optimizedModelPath: null, threads, Math.Min(FileAbove, ModelFile.ExternalDataAbove), release: true);

    /// <summary>
    /// Creates a session for analysis (calibration, error probes): a few runs over calibration samples, never timed.
    /// ORT's prepacking (a copy of every weight in its kernel's layout, made while the session is created) is turned off:
    /// over a handful of runs it costs more time than it saves, and it holds a second copy of the weights.
    /// </summary>
    public static ModelSession CreateForAnalysis(ModelProto model, string description) =>
        Create(model, description, optimizedModelPath: null, threads: 0, Math.Min(FileAbove, ModelFile.ExternalDataAbove), prepack: false);

    /// <summary>
    /// Creates a session, handing ORT a file with external data when the model holds <paramref name="fileAbove"/> weight
    /// bytes or more; with <paramref name="release"/> that file takes the model's weights (see <see cref="CreateReleasing"/>);
    /// without <paramref name="prepack"/>, see <see cref="CreateForAnalysis"/>.
    /// </summary>
    internal static ModelSession Create(ModelProto model, string description, string? optimizedModelPath, int threads, long fileAbove,
        bool release = false, bool prepack = true)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (!prepack)
        {
            options.AddSessionConfigEntry("session.disable_prepacking", "1");
        }

        if (threads > 0)
        {
            options.IntraOpNumThreads = threads;
        }

        if (optimizedModelPath is not null)
        {
            options.OptimizedModelFilePath = optimizedModelPath;
        }

        var file = ExternalData.RawBytes(model) < fileAbove ? null : release ? SessionModelFile.WriteReleasing(model) : SessionModelFile.Write(model);
        try
        {
            var session = file is null ? new InferenceSession(ModelFile.ToBytes(model), options) : new InferenceSession(file.ModelPath, options);
            return new ModelSession(session, description, file);
        }
        catch (OnnxRuntimeException ex)
        {
            file?.Dispose();
            throw new OptimizerException(ErrorCodes.RuntimeFailure, $"ONNX Runtime could not load the {description}: {ex.Message}", inner: ex);
        }
        finally
        {
            options.Dispose();
        }
    }

    /// <summary>Runs one sample and returns the requested outputs (all outputs when <paramref name="outputNames"/> is null).</summary>
    public IReadOnlyList<TensorResult> Run(CalibrationSample sample, IReadOnlyList<string>? outputNames = null)
    {
        var names = outputNames ?? _session.OutputNames;
        return Run(sample, names, results => names.Select((name, i) => ToResult(name, results[i])).ToList());
    }

    /// <summary>
    /// Runs one sample and hands the requested float32 outputs to <paramref name="consume"/> where ONNX Runtime left
    /// them, without copying them into managed arrays: what matters when every activation of a model is read (histogram
    /// calibration, the layer error probe). The spans are valid only during the call.
    /// </summary>
    public void RunInPlace(CalibrationSample sample, IReadOnlyList<string> outputNames, Action<OutputSpans> consume) =>
        Run(sample, outputNames, results =>
        {
            consume(new OutputSpans(outputNames, results));
            return 0;
        });

    private T Run<T>(CalibrationSample sample, IReadOnlyList<string> names, Func<IReadOnlyList<OrtValue>, T> read)
    {
        var inputs = sample.Inputs.Select(ToOrtValue).ToList();
        try
        {
            // Held in a variable and disposed after the call: an inline `new RunOptions()` is unreachable once its handle is
            // passed, so the GC could finalize (free) it while ONNX Runtime still reads it (seen as SIGSEGV / "invalid run log severity").
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, sample.Inputs.Select(i => i.Name).ToList(), inputs, names);
            return read(results);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OptimizerException(ErrorCodes.RuntimeFailure,
                $"ONNX Runtime failed to run the {_description} on calibration sample '{sample.Id}': {ex.Message}", inner: ex);
        }
        finally
        {
            foreach (var value in inputs)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>True when ORT loaded the model from a temporary file with external data rather than from bytes.</summary>
    public bool LoadedFromFile => _file is not null;

    /// <inheritdoc/>
    public void Dispose()
    {
        // The session first: it may map the temporary files, which cannot be deleted on every OS while mapped.
        _session.Dispose();
        _file?.Dispose();
    }

    // Dispatch on the declared element type, not the array's runtime type: the CLR lets a byte[] pass as sbyte[]
    // (and back), so pattern matching would hand int8 data to ORT as uint8.
    private static OrtValue ToOrtValue(CalibrationTensor tensor) => tensor.ElementType switch
    {
        DataType.Float => OrtValue.CreateTensorValueFromMemory((float[])tensor.Data, tensor.Shape),
        DataType.Double => OrtValue.CreateTensorValueFromMemory((double[])tensor.Data, tensor.Shape),
        DataType.Float16 => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll((Half[])tensor.Data, h => new Float16(BitConverter.HalfToUInt16Bits(h))), tensor.Shape),
        DataType.Int64 => OrtValue.CreateTensorValueFromMemory((long[])tensor.Data, tensor.Shape),
        DataType.Int32 => OrtValue.CreateTensorValueFromMemory((int[])tensor.Data, tensor.Shape),
        DataType.Int16 => OrtValue.CreateTensorValueFromMemory((short[])tensor.Data, tensor.Shape),
        DataType.Uint8 => OrtValue.CreateTensorValueFromMemory((byte[])tensor.Data, tensor.Shape),
        DataType.Int8 => OrtValue.CreateTensorValueFromMemory((sbyte[])tensor.Data, tensor.Shape),
        DataType.Bool => OrtValue.CreateTensorValueFromMemory((bool[])tensor.Data, tensor.Shape),
        _ => throw new OptimizerException(ErrorCodes.CalibrationMismatch,
            $"Calibration input '{tensor.Name}' has element type {tensor.ElementType}, which the tool cannot feed to ONNX Runtime."),
    };

    private static TensorResult ToResult(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        float[] values = info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Float16 => ConvertSpan(value.GetTensorDataAsSpan<Float16>(), h => (float)h.ToFloat()),
            TensorElementType.Double => ConvertSpan(value.GetTensorDataAsSpan<double>(), d => (float)d),
            TensorElementType.Int64 => ConvertSpan(value.GetTensorDataAsSpan<long>(), l => (float)l),
            TensorElementType.Int32 => ConvertSpan(value.GetTensorDataAsSpan<int>(), i => (float)i),
            TensorElementType.UInt8 => ConvertSpan(value.GetTensorDataAsSpan<byte>(), b => (float)b),
            TensorElementType.Int8 => ConvertSpan(value.GetTensorDataAsSpan<sbyte>(), b => (float)b),
            TensorElementType.Bool => ConvertSpan(value.GetTensorDataAsSpan<bool>(), b => b ? 1f : 0f),
            var other => throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Output '{name}' has element type {other}, which the tool cannot compare."),
        };
        return new TensorResult(name, shape, values);
    }

    private static float[] ConvertSpan<T>(ReadOnlySpan<T> source, Func<T, float> convert)
    {
        var result = new float[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            result[i] = convert(source[i]);
        }

        return result;
    }

    /// <summary>Maps an ONNX element type to the CLR array type calibration tensors use.</summary>
    internal static Type ClrType(DataType type) => type switch
    {
        DataType.Float => typeof(float),
        DataType.Double => typeof(double),
        DataType.Float16 => typeof(Half),
        DataType.Int64 => typeof(long),
        DataType.Int32 => typeof(int),
        DataType.Int16 => typeof(short),
        DataType.Uint8 => typeof(byte),
        DataType.Int8 => typeof(sbyte),
        DataType.Bool => typeof(bool),
        _ => throw new OptimizerException(ErrorCodes.ModelUnsupported, $"Model inputs of element type {type} are not supported."),
    };
}
