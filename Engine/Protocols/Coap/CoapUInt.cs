using System.Buffers.Binary;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// The <c>uint</c> option value format (RFC 7252 §3.2): big-endian, as few bytes as possible
/// (0 is the empty value); a recipient accepts leading zero bytes.
/// </summary>
public static class CoapUInt
{
    /// <summary>Bytes the minimal encoding of <paramref name="value"/> takes: 0–4.</summary>
    public static int GetEncodedLength(uint value) => value switch
    {
        0 => 0,
        <= 0xFF => 1,
        <= 0xFFFF => 2,
        <= 0xFF_FFFF => 3,
        _ => 4,
    };

    /// <summary>Writes the minimal encoding; false (nothing written) when it does not fit.</summary>
    public static bool TryWrite(uint value, Span<byte> destination, out int written)
    {
        written = GetEncodedLength(value);
        if (destination.Length < written)
        {
            written = 0;
            return false;
        }

        Span<byte> all = stackalloc byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32BigEndian(all, value);
        all[(sizeof(uint) - written)..].CopyTo(destination);
        return true;
    }

    /// <summary>Reads a value of 0–4 bytes (leading zeros allowed); false when longer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> encoded, out uint value)
    {
        value = 0;
        if (encoded.Length > sizeof(uint))
        {
            return false;
        }

        foreach (byte b in encoded)
        {
            value = (value << 8) | b;
        }

        return true;
    }
}
