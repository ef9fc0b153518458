using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Optimizer.Build;

/// <summary>SHA-256 of files as lowercase hex, the form the content-addressed cache keys and manifests use.</summary>
internal static class ContentHash
{
    /// <summary>The hash of the file's bytes; null when it does not exist (a dependency that went away).</summary>
    public static string? OfFile(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var sha = SHA256.Create();
        using var stream = File.OpenRead(path);
        return Hex(sha.ComputeHash(stream));
    }

    /// <summary>The hash of <paramref name="text"/>'s UTF-8 bytes: keys, manifest variants and folder listings.</summary>
    public static string OfText(string text)
    {
        using var sha = SHA256.Create();
        return Hex(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Lowercase hex of <paramref name="hash"/>.</summary>
    public static string Hex(byte[] hash) => string.Concat(hash.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
