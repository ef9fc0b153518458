using Optimizer.Core.Diagnostics;

namespace Optimizer.Core.Config;

/// <summary>
/// A data folder a compression.yaml key names (<c>calibration.data</c>, <c>calibration.validation_data</c>), checked
/// when it is about to be read, so that a missing folder is reported at the line of the file that named it.
/// </summary>
public static class ConfiguredFolder
{
    /// <summary>
    /// Returns <paramref name="path"/>, or throws <see cref="ErrorCodes.CalibrationUnreadable"/> at <paramref name="at"/>
    /// when the folder does not exist (without a location the data loader reports it instead).
    /// </summary>
    public static string Require(string path, SourceLocation? at, string key)
    {
        if (!Directory.Exists(path) && at is not null)
        {
            throw new OptimizerException(ErrorCodes.CalibrationUnreadable,
                $"{key} names '{path}', which does not exist; create the folder or fix the path " +
                "(relative paths are resolved against the file that sets them).", at.File, at.Line, at.Column);
        }

        return path;
    }
}
