using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Optimizer.Core.Onnx;

namespace Optimizer.Core.Reports;

/// <summary>
/// The facts the MSBuild task needs to write <c>optimized-models.json</c> for one model, one line per profile, tab
/// separated: profile, execution provider, full output path, bytes, sha256, cosine, worst top-1 agreement (empty when
/// no output has a class axis). Tab-separated text because the task runs in MSBuild on netstandard2.0, where a line
/// split is the one parser that needs no package; the task turns the lines into JSON with the output's final path.
/// </summary>
public static class ManifestEntries
{
    /// <summary>The first line, naming the format so a mismatched task and CLI fail clearly instead of misreading.</summary>
    public const string Header = "# optimizer manifest entries v1";

    /// <summary>Writes the entries of <paramref name="outcomes"/> to <paramref name="path"/>, atomically.</summary>
    public static void Write(IEnumerable<ProfileOutcome> outcomes, string path)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var outcome in outcomes)
        {
            text.Append(Line(outcome)).Append('\n');
        }

        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text.ToString());
        AtomicFile.Write(Path.GetFullPath(path), stream => stream.Write(bytes));
    }

    /// <summary>One outcome's line.</summary>
    public static string Line(ProfileOutcome outcome)
    {
        var report = outcome.Report;
        var top1 = report.Fidelity.Outputs.Where(o => o.Top1Agreement is not null).Select(o => o.Top1Agreement!.Value).DefaultIfEmpty(double.NaN).Min();
        string[] fields =
        [
            report.Profile,
            report.ExecutionProvider,
            outcome.OutputPath,
            new FileInfo(outcome.OutputPath).Length.ToString(CultureInfo.InvariantCulture),
            Sha256(outcome.OutputPath),
            report.Fidelity.Cosine.ToString("R", CultureInfo.InvariantCulture),
            double.IsNaN(top1) ? "" : top1.ToString("R", CultureInfo.InvariantCulture),
        ];
        return string.Join('\t', fields);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
