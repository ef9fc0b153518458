using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>Reads and sets the opset versions a model imports.</summary>
public static class Opsets
{
    /// <summary>The version of the default ONNX domain (<c>""</c> or <c>ai.onnx</c>), or 0 when the model imports none.</summary>
    public static long DefaultDomainVersion(ModelProto model) =>
        model.OpsetImport.Where(o => IsDefaultDomain(o.Domain)).Select(o => o.Version).DefaultIfEmpty(0).Max();

    /// <summary>True for the names the default ONNX domain goes by.</summary>
    public static bool IsDefaultDomain(string? domain) => string.IsNullOrEmpty(domain) || domain == "ai.onnx";

    /// <summary>Sets the default-domain opset version, adding the import when missing.</summary>
    public static void SetDefaultDomainVersion(ModelProto model, long version)
    {
        var entry = model.OpsetImport.FirstOrDefault(o => IsDefaultDomain(o.Domain));
        if (entry is null)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = version });
        }
        else
        {
            entry.Version = version;
        }
    }
}
