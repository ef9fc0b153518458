using Optimizer.Core.Onnx.Proto;

namespace Optimizer.Core.Onnx;

/// <summary>Reads and writes <c>metadata_props</c>, keeping every entry the model already had.</summary>
public static class ModelMetadata
{
    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, replacing an existing entry.</summary>
    public static void Set(ModelProto model, string key, string value)
    {
        var entry = model.MetadataProps.FirstOrDefault(e => e.Key == key);
        if (entry is null)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        else
        {
            entry.Value = value;
        }
    }

    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    public static string? Get(ModelProto model, string key) => model.MetadataProps.FirstOrDefault(e => e.Key == key)?.Value;
}
