using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;

namespace OpsConsole.Tools.StormBench;

/// <summary>One meter of the topology with its suite-0 keys and a cached cipher (single-threaded use).</summary>
internal sealed record Meter(Guid Guid, ulong SystemTitle, MeterKeys Keys, AesGcm Aes);

/// <summary>Builds wire-format.md frames exactly as <c>MeterFrameWriter</c> does, but with a cached AesGcm per meter.</summary>
internal sealed class FrameFactory : IDisposable
{
    private readonly Meter[] _meters;
    private readonly byte[] _plain = new byte[DataNotification.MaxLength];
    private readonly byte[] _apdu = new byte[512];
    private readonly byte[] _title = new byte[8];

    public FrameFactory(IReadOnlyList<(Guid Guid, ulong Title)> meters, byte[] masterKey)
    {
        _meters = meters.Select(m =>
        {
            var keys = MeterKeys.Derive(masterKey, m.Guid);
            return new Meter(m.Guid, m.Title, keys, new AesGcm(keys.EncryptionKey, GeneralGloCiphering.AuthenticationTagSize));
        }).ToArray();
    }

    public int Count => _meters.Length;

    /// <summary>A last gasp (code 1) of meter <paramref name="meter"/> as a CoAP POST to /ami/ev.</summary>
    public byte[] LastGasp(int meter, uint counter, uint eventId, CoapType type, ushort messageId, DateTimeOffset now)
    {
        var m = _meters[meter];
        var e = new MeterEvent(m.Guid, MeterEventCode.PowerDown, eventId, 1, now, now, 4200, -70, 0x8000_0000u);
        if (!DataNotification.TryWrite(e, _plain, out int plainLength))
        {
            throw new InvalidOperationException("Data-Notification does not fit");
        }

        BinaryPrimitives.WriteUInt64BigEndian(_title, m.SystemTitle);
        if (!GeneralGloCiphering.TryEncrypt(_title, counter, _plain.AsSpan(0, plainLength), m.Aes, m.Keys.AuthenticationKey, _apdu, out int apduLength))
        {
            throw new InvalidOperationException("APDU does not fit");
        }

        Span<byte> token = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(token, messageId);
        return MeterFrameWriter.Post(type, messageId, token, _apdu.AsSpan(0, apduLength));
    }

    public void Dispose()
    {
        foreach (var m in _meters)
        {
            m.Aes.Dispose();
        }
    }

    /// <summary>(GUID, system title) of every meter feature of a topology GeoJSON (docs/topology-file.md).</summary>
    public static List<(Guid Guid, ulong Title)> ReadMeters(string geojson)
    {
        using var stream = File.OpenRead(geojson);
        using var doc = JsonDocument.Parse(stream);
        var list = new List<(Guid, ulong)>();
        foreach (var f in doc.RootElement.GetProperty("features").EnumerateArray())
        {
            if (!f.TryGetProperty("properties", out var p) || p.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (p.TryGetProperty("kind", out var kind) && kind.GetString() == "meter"
                && p.TryGetProperty("guid", out var g) && g.ValueKind == JsonValueKind.String
                && p.TryGetProperty("systemTitle", out var t) && t.ValueKind == JsonValueKind.String)
            {
                list.Add((Guid.Parse(g.GetString()!), ulong.Parse(t.GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
        }

        return list;
    }
}
