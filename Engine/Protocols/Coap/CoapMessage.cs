namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// The CoAP message codec (RFC 7252 §3, RFC 7959): <see cref="TryParse"/> reads a datagram
/// into a <see cref="CoapMessageView"/> without allocating; the <c>TryWrite…</c> methods build the
/// messages the head-end and the meter simulator send. Pure: no I/O, no logging, no clock.
/// </summary>
public static partial class CoapMessage
{
    /// <summary>The fixed header: Ver/T/TKL, Code, Message ID (RFC 7252 §3).</summary>
    public const int HeaderLength = 4;

    /// <summary>The longest token (RFC 7252 §3, §5.3.1).</summary>
    public const int MaxTokenLength = 8;

    /// <summary>
    /// Parses one UDP datagram as one CoAP message (RFC 7252 §3, §3.1, §4.1). Never throws.
    /// </summary>
    /// <returns>
    /// <see cref="CoapParseStatus.Ok"/>, or how the datagram fails and therefore how to react
    /// (see <see cref="CoapParseStatus"/>).
    /// </returns>
    public static CoapParseStatus TryParse(ReadOnlySpan<byte> datagram, out CoapMessageView message)
    {
        var reader = new CoapSpanReader(datagram);
        if (!reader.TryReadByte(out byte first)
            || !reader.TryReadByte(out byte code)
            || !reader.TryReadUInt16BigEndian(out ushort messageId))
        {
            message = default;
            return CoapParseStatus.HeaderTruncated;
        }

        byte version = (byte)(first >> 6);
        var type = (CoapType)((first >> 4) & 0x03);
        int tokenLength = first & 0x0F;
        if (version != 1)
        {
            message = Header(version, type, tokenLength, code, messageId, default, CoapFormatError.None);
            return CoapParseStatus.UnsupportedVersion;
        }

        if (tokenLength > MaxTokenLength)
        {
            message = Header(version, type, tokenLength, code, messageId, default, CoapFormatError.TokenLengthReserved);
            return CoapParseStatus.FormatError;
        }

        if (code == CoapCode.Empty && (tokenLength != 0 || reader.Remaining != 0))
        {
            ReadOnlySpan<byte> readable = reader.TryReadBytes(tokenLength, out ReadOnlySpan<byte> t) ? t : default;
            message = Header(version, type, tokenLength, code, messageId, readable, CoapFormatError.EmptyMessageNotEmpty);
            return CoapParseStatus.FormatError;
        }

        if (!reader.TryReadBytes(tokenLength, out ReadOnlySpan<byte> token))
        {
            message = Header(version, type, tokenLength, code, messageId, default, CoapFormatError.TokenTruncated);
            return CoapParseStatus.FormatError;
        }

        int optionsStart = reader.Position;
        int optionNumber = 0;
        ReadOnlySpan<byte> payload = default;
        while (reader.TryPeekByte(out byte next))
        {
            if (next == CoapOptionCodec.PayloadMarker)
            {
                int optionsEnd = reader.Position;
                reader.TryReadByte(out _);
                payload = reader.ReadRemaining();
                if (payload.IsEmpty)
                {
                    message = Header(version, type, tokenLength, code, messageId, token, CoapFormatError.PayloadMarkerWithoutPayload);
                    return CoapParseStatus.FormatError;
                }

                message = new CoapMessageView(
                    version, type, tokenLength, code, messageId, token,
                    datagram[optionsStart..optionsEnd], payload, CoapFormatError.None);
                return CoapParseStatus.Ok;
            }

            CoapFormatError error = CoapOptionCodec.TryRead(ref reader, ref optionNumber, out _);
            if (error != CoapFormatError.None)
            {
                message = Header(version, type, tokenLength, code, messageId, token, error);
                return CoapParseStatus.FormatError;
            }
        }

        message = new CoapMessageView(
            version, type, tokenLength, code, messageId, token,
            datagram[optionsStart..], payload, CoapFormatError.None);
        return CoapParseStatus.Ok;
    }

    private static CoapMessageView Header(
        byte version,
        CoapType type,
        int tokenLength,
        byte code,
        ushort messageId,
        ReadOnlySpan<byte> token,
        CoapFormatError error) =>
        new(version, type, tokenLength, code, messageId, token, default, default, error);
}
