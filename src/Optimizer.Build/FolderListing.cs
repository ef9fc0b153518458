namespace Optimizer.Build;

/// <summary>
/// A hash of the names in a folder (not their contents): calibration samples are chosen from a folder's listing, so a
/// sample added or removed there can change the result although no file read before changed.
/// </summary>
internal static class FolderListing
{
    /// <summary>
    /// SHA-256 over the folder's entry names in ordinal order (sub-folders marked with a trailing '/'); null when the folder
    /// does not exist. Names starting with '.' are left out, as the calibration loader ignores them (.DS_Store, .git).
    /// </summary>
    public static string? Hash(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return null;
        }

        var names = new DirectoryInfo(folder).EnumerateFileSystemInfos()
            .Where(entry => !entry.Name.StartsWith(".", StringComparison.Ordinal))
            .Select(entry => entry is DirectoryInfo ? entry.Name + "/" : entry.Name)
            .OrderBy(name => name, StringComparer.Ordinal);
        return ContentHash.OfText(string.Join("\n", names));
    }
}
