using System.Security.Cryptography;
using System.Text;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>Name-based UUIDs (RFC 4122 §4.3, version 5): the same id always gives the same GUID.</summary>
internal static class DeterministicGuid
{
    /// <summary>The RFC 4122 URL namespace; names are <c>urn:opsconsole:meter:{id}</c>.</summary>
    private static readonly Guid UrlNamespace = new("6ba7b811-9dad-11d1-80b4-00c04fd430c8");

    public static Guid ForMeter(string id) => Create(UrlNamespace, "urn:opsconsole:meter:" + id);

    public static Guid Create(Guid ns, string name)
    {
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        Span<byte> input = nameBytes <= 512 ? stackalloc byte[16 + nameBytes] : new byte[16 + nameBytes];
        ns.TryWriteBytes(input, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(name, input[16..]);

        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // UUID v5 is defined on SHA-1; nothing here is a security boundary.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash[..16], bigEndian: true);
    }
}
