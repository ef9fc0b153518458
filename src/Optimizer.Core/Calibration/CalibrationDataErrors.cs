using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Calibration;

/// <summary>
/// Builds the calibration errors, so every reader and check words them the same way: the full path first, then what
/// is wrong and how to fix it, with the path also set as the diagnostic's file so the build shows it in place.
/// </summary>
internal static class CalibrationDataErrors
{
    /// <summary>An <see cref="ErrorCodes.CalibrationUnreadable"/> error: "Calibration file '<paramref name="path"/>' <paramref name="problem"/>".</summary>
    public static OptimizerException Unreadable(string path, string problem, Exception? inner = null) =>
        new(ErrorCodes.CalibrationUnreadable, $"Calibration file '{path}' {problem}", path, inner: inner);

    /// <summary>An <see cref="ErrorCodes.CalibrationMismatch"/> error: "Calibration file '<paramref name="path"/>' <paramref name="problem"/>".</summary>
    public static OptimizerException Mismatch(string path, string problem) =>
        new(ErrorCodes.CalibrationMismatch, $"Calibration file '{path}' {problem}", path);

    /// <summary>Reads a whole file, turning I/O failures into <see cref="ErrorCodes.CalibrationUnreadable"/> errors naming it.</summary>
    public static byte[] ReadAllBytes(string fullPath)
    {
        try
        {
            return File.ReadAllBytes(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(fullPath, $"could not be read: {ex.Message}", ex);
        }
    }
}
