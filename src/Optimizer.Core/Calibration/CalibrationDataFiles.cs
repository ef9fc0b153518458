namespace Optimizer.Core.Calibration;

/// <summary>
/// Finds and reads calibration files: which entries of a folder are data, and which file in a sample folder feeds
/// which model input. Names are compared ordinally and listings sorted ordinally, so every machine picks the same
/// samples in the same order.
/// </summary>
internal static class CalibrationDataFiles
{
    /// <summary>Characters that some file system forbids in a file name; input names like <c>images:0</c> or <c>x/y</c> contain them.</summary>
    private static readonly char[] UnsafeNameCharacters = ['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

    /// <summary>The .npy, .pb and image files directly in <paramref name="directory"/>, hidden files skipped, in ordinal order of name.</summary>
    public static List<string> DataFiles(string directory) =>
        Directory.EnumerateFiles(directory)
            .Where(f => IsVisible(f) && IsDataFile(f))
            .OrderBy(Path.GetFileName, StringComparer.Ordinal)
            .ToList();

    /// <summary>The sub-folders of <paramref name="directory"/>, hidden ones skipped, in ordinal order of name.</summary>
    public static List<string> SampleFolders(string directory) =>
        Directory.EnumerateDirectories(directory)
            .Where(IsVisible)
            .OrderBy(Path.GetFileName, StringComparer.Ordinal)
            .ToList();

    /// <summary>Reads a .npy or .pb file by its extension.</summary>
    public static CalibrationTensor Read(string path) =>
        IsNpy(path) ? NpyReader.Read(path) : TensorProtoFile.Read(path);

    /// <summary>
    /// Matches the files of one sample folder to the model inputs: a file named after the input (or after the input
    /// with file-name-unsafe characters replaced by '_') feeds it; a .pb file also feeds the input its tensor is named after.
    /// Files that feed nothing (e.g. the <c>output_0.pb</c> of ONNX model zoo test sets) are returned as ignored.
    /// </summary>
    public static SampleFolderFiles Match(string folder, IReadOnlyList<ModelInput> inputs)
    {
        var matched = new Dictionary<string, (string Path, CalibrationTensor Tensor)>(StringComparer.Ordinal);
        var ignored = new List<string>();
        foreach (var file in DataFiles(folder))
        {
            var stem = Path.GetFileNameWithoutExtension(file);
            var input = inputs.FirstOrDefault(i => i.Name == stem || FileSafeName(i.Name) == stem);
            CalibrationTensor? tensor = null;
            if (input is null && !IsNpy(file))
            {
                tensor = TensorProtoFile.Read(file);
                input = inputs.FirstOrDefault(i => i.Name == tensor.Name);
            }

            if (input is null)
            {
                ignored.Add(file);
                continue;
            }

            if (matched.TryGetValue(input.Name, out var previous))
            {
                throw CalibrationDataErrors.Mismatch(file,
                    $"feeds model input '{input.Name}', which '{previous.Path}' already feeds; keep one file per input in each sample folder.");
            }

            matched[input.Name] = (file, tensor ?? Read(file));
        }

        return new SampleFolderFiles(matched, ignored);
    }

    /// <summary>The input name with characters file systems forbid replaced by '_', the name users must give such files.</summary>
    public static string FileSafeName(string inputName)
    {
        var chars = inputName.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (Array.IndexOf(UnsafeNameCharacters, chars[i]) >= 0 || char.IsControl(chars[i]))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private static bool IsNpy(string path) => Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase);

    private static bool IsDataFile(string path) => IsNpy(path) || IsImage(path) || Path.GetExtension(path).Equals(".pb", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for image files, which are decoded and preprocessed instead of read as tensors.</summary>
    public static bool IsImage(string path) => Images.ImageTensorReader.Extensions.Contains(Path.GetExtension(path));

    // Dot-files and dot-folders are editor, VCS or OS litter (.DS_Store, .git), never samples.
    private static bool IsVisible(string path) => !Path.GetFileName(path).StartsWith('.');
}

/// <summary>The files of one sample folder: those feeding each input (by input name) and those feeding none.</summary>
internal sealed record SampleFolderFiles(IReadOnlyDictionary<string, (string Path, CalibrationTensor Tensor)> ByInput, IReadOnlyList<string> Ignored);
