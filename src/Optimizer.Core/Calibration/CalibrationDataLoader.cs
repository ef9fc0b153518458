using Optimizer.Core.Calibration.Images;
using Optimizer.Core.Config;
using Optimizer.Core.Diagnostics;
using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Loads the calibration samples for a model from a folder, or generates random ones when no folder is given.
/// Two layouts are accepted:
/// <list type="bullet">
/// <item>one <c>.npy</c>, <c>.pb</c> or image file per sample directly in the folder, for models with exactly one input
/// (images are decoded and preprocessed as <c>calibration.images</c> says);</item>
/// <item>one sub-folder per sample holding one file per input, named <c>&lt;input name&gt;.npy</c> or <c>.pb</c>.</item>
/// </list>
/// Samples are taken in ordinal order of file or folder name, so every machine calibrates on the same ones.
/// </summary>
public static class CalibrationDataLoader
{
    /// <summary>
    /// Loads up to <paramref name="maxSamples"/> samples from <paramref name="directory"/>, checked against the model's
    /// inputs. With a null <paramref name="directory"/>, generates seeded random samples (at most
    /// <see cref="SyntheticInputs.MaxSamples"/>) and warns <see cref="ErrorCodes.SyntheticCalibration"/>.
    /// Throws <see cref="ErrorCodes.CalibrationUnreadable"/> for a missing or empty folder or an unreadable file, and
    /// <see cref="ErrorCodes.CalibrationMismatch"/> for data that does not fit the model, naming the file.
    /// </summary>
    public static CalibrationSet Load(ModelProto model, string? directory, int maxSamples, IDiagnosticSink sink, int seed = 0, ImageSettings? images = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 1);

        var inputs = ModelInputs.Of(model);
        var unsupported = inputs.FirstOrDefault(i => !CalibrationDataArrays.IsSupported(i.ElementType));
        if (unsupported is not null)
        {
            throw new OptimizerException(ErrorCodes.ModelUnsupported,
                $"Model input '{unsupported.Name}' has element type {unsupported.ElementType}; only numeric tensor inputs " +
                "(float32, float64, float16, int64, int32, int16, uint8, int8, bool) can be calibrated.");
        }

        return directory is null
            ? Synthetic(inputs, maxSamples, sink, seed)
            : FromFolder(inputs, Path.GetFullPath(directory), maxSamples, sink, images);
    }

    private static CalibrationSet Synthetic(IReadOnlyList<ModelInput> inputs, int maxSamples, IDiagnosticSink sink, int seed)
    {
        var samples = SyntheticInputs.Generate(inputs, maxSamples, seed);
        sink.Warn(new Diagnostic(DiagnosticSeverity.Warning, ErrorCodes.SyntheticCalibration,
            $"No calibration data was given, so {samples.Count} random samples were generated from the model's input shapes; " +
            "ranges from random inputs are poor and int8 accuracy will suffer: add a calibration folder with real inputs " +
            "(one .npy or .pb file per sample, or one sub-folder per sample with one '<input name>.npy' per input)."));
        return new CalibrationSet(samples, IsSynthetic: true, Source: null);
    }

    private static CalibrationSet FromFolder(IReadOnlyList<ModelInput> inputs, string directory, int maxSamples, IDiagnosticSink sink, ImageSettings? images)
    {
        if (!Directory.Exists(directory))
        {
            throw new OptimizerException(ErrorCodes.CalibrationUnreadable,
                $"Calibration folder '{directory}' does not exist; create it or fix the calibration path.", directory);
        }

        var files = CalibrationDataFiles.DataFiles(directory);
        var folders = CalibrationDataFiles.SampleFolders(directory);
        if (files.Count == 0 && folders.Count == 0)
        {
            throw new OptimizerException(ErrorCodes.CalibrationUnreadable,
                $"Calibration folder '{directory}' is empty: it holds no .npy, .pb or image files and no sample sub-folders.", directory);
        }

        if (files.Count > 0 && folders.Count > 0)
        {
            // Guessing which of the two layouts was meant would silently drop samples.
            throw new OptimizerException(ErrorCodes.CalibrationUnreadable,
                $"Calibration folder '{directory}' holds both sample files ('{Path.GetFileName(files[0])}') and sample sub-folders " +
                $"('{Path.GetFileName(folders[0])}'); use one layout: files for a single-input model, or one sub-folder per sample.", directory);
        }

        var validator = new CalibrationDataValidator(sink);
        var total = files.Count > 0 ? files.Count : folders.Count;
        var filesRead = files.Take(maxSamples).ToList();
        var foldersListed = new List<string> { directory };
        var samples = files.Count > 0
            ? FromFiles(filesRead, inputs, directory, validator, images)
            : folders.Take(maxSamples).Select(folder => FromSampleFolder(folder, inputs, validator, sink, filesRead, foldersListed)).ToList();

        sink.Detail($"Calibration: {samples.Count} of {total} samples from '{directory}' " +
            $"({(files.Count > 0 ? "one file per sample" : "one sub-folder per sample")}).");
        return new CalibrationSet(samples, IsSynthetic: false, Source: directory) { FilesRead = filesRead, FoldersListed = foldersListed };
    }

    private static List<CalibrationSample> FromFiles(
        List<string> files, IReadOnlyList<ModelInput> inputs, string directory, CalibrationDataValidator validator, ImageSettings? images)
    {
        // Resolved once, from the first image: every image of the folder is preprocessed the same way.
        ImagePreprocessing? preprocessing = null;
        return files.Select(file =>
        {
            RequireSingleInput(inputs, directory);
            if (!CalibrationDataFiles.IsImage(file))
            {
                return new CalibrationSample(Path.GetFileName(file), [validator.Check(CalibrationDataFiles.Read(file), inputs[0], file)]);
            }

            preprocessing ??= ImagePreprocessingResolver.Resolve(images, inputs[0], file);
            return new CalibrationSample(Path.GetFileName(file), [validator.Check(ImageTensorReader.Read(file, inputs[0].Name, preprocessing), inputs[0], file)]);
        }).ToList();
    }

    private static void RequireSingleInput(IReadOnlyList<ModelInput> inputs, string directory)
    {
        if (inputs.Count != 1)
        {
            var names = string.Join(", ", inputs.Select(i => $"'{i.Name}'"));
            throw new OptimizerException(ErrorCodes.CalibrationMismatch,
                $"Calibration folder '{directory}' holds one file per sample, which only works for a model with one input, " +
                $"but this model has {inputs.Count}: {names}. Put each sample in its own sub-folder with one file per input, " +
                $"e.g. sample0/{CalibrationDataFiles.FileSafeName(inputs.FirstOrDefault()?.Name ?? "input")}.npy.", directory);
        }
    }

    private static CalibrationSample FromSampleFolder(
        string folder, IReadOnlyList<ModelInput> inputs, CalibrationDataValidator validator, IDiagnosticSink sink, List<string> filesRead, List<string> foldersListed)
    {
        var files = CalibrationDataFiles.Match(folder, inputs);
        // Ignored files count too: a .pb among them was read for its tensor name, and renaming one can make it feed an input.
        foldersListed.Add(folder);
        filesRead.AddRange(files.ByInput.Values.Select(match => match.Path).Concat(files.Ignored).Order(StringComparer.Ordinal));
        foreach (var ignored in files.Ignored)
        {
            sink.Detail($"Calibration file '{ignored}' feeds no model input; ignored.");
        }

        var tensors = new List<CalibrationTensor>(inputs.Count);
        foreach (var input in inputs)
        {
            if (!files.ByInput.TryGetValue(input.Name, out var match))
            {
                var safe = CalibrationDataFiles.FileSafeName(input.Name);
                var present = files.Ignored.Count == 0 ? "none" : string.Join(", ", files.Ignored.Select(f => $"'{Path.GetFileName(f)}'"));
                throw new OptimizerException(ErrorCodes.CalibrationMismatch,
                    $"Sample folder '{folder}' has no file for model input '{input.Name}'; expected '{safe}.npy' or '{safe}.pb' " +
                    $"(or a .pb tensor named '{input.Name}'). Files feeding no input: {present}.", folder);
            }

            tensors.Add(validator.Check(match.Tensor, input, match.Path));
        }

        return new CalibrationSample(Path.GetFileName(folder), tensors);
    }
}
