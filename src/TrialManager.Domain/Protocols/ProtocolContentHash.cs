using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace TrialManager.Domain.Protocols;

/// <summary>
/// The canonical form of a protocol is the compact JSON of its model: properties in declaration order, lists in
/// protocol order, enums by name, decimals normalized by the loader. Only properties that hold content (those
/// that can be set) are written; computed ones such as <see cref="Protocol.ContentHash"/> are left out.
/// </summary>
internal static class ProtocolContentHash
{
    private static readonly JsonSerializerOptions CanonicalJson = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { KeepSettableProperties } },
    };

    public static string Compute(Protocol protocol) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(protocol, CanonicalJson)));

    private static void KeepSettableProperties(JsonTypeInfo type)
    {
        for (var i = type.Properties.Count - 1; i >= 0; i--)
        {
            if (type.Properties[i].Set is null)
            {
                type.Properties.RemoveAt(i);
            }
        }
    }
}
