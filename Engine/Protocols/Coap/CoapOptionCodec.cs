using System.Buffers.Binary;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// The option TLV encoding of RFC 7252 §3.1: a byte of two nibbles (delta, length), each 0–12
/// literal, 13 = one extension byte + 13, 14 = two big-endian extension bytes + 269, 15 reserved.
/// Shared by the parser, the option enumerator and the writer so there is one definition of it.
/// </summary>
internal static class CoapOptionCodec
{
    /// <summary>The payload marker: the only byte allowed to carry delta nibble 15 (RFC 7252 §3).</summary>
    public const byte PayloadMarker = 0xFF;

    /// <summary>The largest delta or length the encoding can express (65535 + 269).</summary>
    public const int MaxExtendedValue = ushort.MaxValue + 269;

    /// <summary>
    /// Reads one option at the reader's position (which must not be the payload marker), adding its
    /// delta to <paramref name="optionNumber"/>. Consumes nothing on error.
    /// </summary>
    public static CoapFormatError TryRead(scoped ref CoapSpanReader reader, scoped ref int optionNumber, out ReadOnlySpan<byte> value)
    {
        value = default;
        CoapSpanReader probe = reader;
        if (!probe.TryReadByte(out byte header))
        {
            return CoapFormatError.OptionTruncated;
        }

        int deltaNibble = header >> 4;
        int lengthNibble = header & 0x0F;
        if (deltaNibble == 15)
        {
            return CoapFormatError.OptionDeltaReserved;
        }

        if (lengthNibble == 15)
        {
            return CoapFormatError.OptionLengthReserved;
        }

        if (!TryReadExtended(ref probe, deltaNibble, out int delta)
            || !TryReadExtended(ref probe, lengthNibble, out int length))
        {
            return CoapFormatError.OptionTruncated;
        }

        int number = optionNumber + delta;
        if (number > ushort.MaxValue)
        {
            return CoapFormatError.OptionNumberTooLarge;
        }

        if (!probe.TryReadBytes(length, out value))
        {
            return CoapFormatError.OptionTruncated;
        }

        optionNumber = number;
        reader = probe;
        return CoapFormatError.None;
    }

    /// <summary>Bytes one option takes on the wire.</summary>
    public static int GetEncodedSize(int delta, int length) => 1 + ExtensionSize(delta) + ExtensionSize(length) + length;

    /// <summary>Writes one option; the caller has checked that <see cref="GetEncodedSize"/> bytes fit.</summary>
    public static int WriteHeader(Span<byte> destination, int delta, int length)
    {
        destination[0] = (byte)((Nibble(delta) << 4) | Nibble(length));
        int written = 1;
        written += WriteExtension(destination[written..], delta);
        written += WriteExtension(destination[written..], length);
        return written;
    }

    private static bool TryReadExtended(ref CoapSpanReader reader, int nibble, out int value)
    {
        switch (nibble)
        {
            case 13:
                bool haveByte = reader.TryReadByte(out byte b);
                value = b + 13;
                return haveByte;
            case 14:
                bool haveShort = reader.TryReadUInt16BigEndian(out ushort s);
                value = s + 269;
                return haveShort;
            default:
                value = nibble;
                return true;
        }
    }

    private static int ExtensionSize(int value) => value < 13 ? 0 : value < 269 ? 1 : 2;

    private static int Nibble(int value) => value < 13 ? value : value < 269 ? 13 : 14;

    private static int WriteExtension(Span<byte> destination, int value)
    {
        if (value < 13)
        {
            return 0;
        }

        if (value < 269)
        {
            destination[0] = (byte)(value - 13);
            return 1;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(value - 269));
        return 2;
    }
}
