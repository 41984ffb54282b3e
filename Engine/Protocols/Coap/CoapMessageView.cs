namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// A parsed CoAP message (RFC 7252 §3) as a view over the datagram: nothing is copied, so the
/// datagram must outlive the view. Produced by <see cref="CoapMessage.TryParse"/>.
/// </summary>
/// <remarks>
/// After <see cref="CoapParseStatus.FormatError"/> or <see cref="CoapParseStatus.UnsupportedVersion"/>
/// the header fields (<see cref="Version"/>, <see cref="Type"/>, <see cref="TokenLength"/>,
/// <see cref="Code"/>, <see cref="MessageId"/>) are still valid and <see cref="Token"/> is valid when
/// it could be read, so the caller can reject a CON with the right Message ID; options and
/// payload are empty.
/// </remarks>
public readonly ref struct CoapMessageView
{
    private readonly ReadOnlySpan<byte> _options;

    internal CoapMessageView(
        byte version,
        CoapType type,
        int tokenLength,
        byte code,
        ushort messageId,
        ReadOnlySpan<byte> token,
        ReadOnlySpan<byte> options,
        ReadOnlySpan<byte> payload,
        CoapFormatError formatError)
    {
        Version = version;
        Type = type;
        TokenLength = tokenLength;
        Code = code;
        MessageId = messageId;
        Token = token;
        _options = options;
        Payload = payload;
        FormatError = formatError;
    }

    /// <summary>Ver: 1 for every message this codec accepts.</summary>
    public byte Version { get; }

    /// <summary>T: CON, NON, ACK or RST.</summary>
    public CoapType Type { get; }

    /// <summary>TKL as sent (0–15; 9–15 only with <see cref="CoapFormatError.TokenLengthReserved"/>).</summary>
    public int TokenLength { get; }

    /// <summary>The Code byte, <c>c.dd</c>; see <see cref="CoapCode"/>.</summary>
    public byte Code { get; }

    /// <summary>The Message ID (network byte order on the wire).</summary>
    public ushort MessageId { get; }

    /// <summary>The 0–8 byte token; empty when it could not be read.</summary>
    public ReadOnlySpan<byte> Token { get; }

    /// <summary>The payload after the 0xFF marker; empty when there is none.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Why the message is malformed, with <see cref="CoapParseStatus.FormatError"/>.</summary>
    public CoapFormatError FormatError { get; }

    /// <summary>Every option, in ascending number order.</summary>
    public CoapOptionCollection Options => new(_options, -1);

    /// <summary>Code 0.00 (RFC 7252 §4.1): with type CON a "CoAP ping", answered with a RST.</summary>
    public bool IsEmpty => Code == CoapCode.Empty;

    /// <summary>The code is a request method (class 0, not 0.00).</summary>
    public bool IsRequest => CoapCode.IsRequest(Code);

    /// <summary>The instances of one option, in wire order.</summary>
    public CoapOptionCollection GetOptions(ushort optionNumber) => new(_options, optionNumber);

    /// <summary>The first instance of an option.</summary>
    public bool TryGetOption(ushort optionNumber, out ReadOnlySpan<byte> value)
    {
        foreach (CoapOption option in GetOptions(optionNumber))
        {
            value = option.Value;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The first instance of a <c>uint</c> option; false when absent or longer than 4 bytes.</summary>
    public bool TryGetUInt32(ushort optionNumber, out uint value)
    {
        value = 0;
        return TryGetOption(optionNumber, out ReadOnlySpan<byte> encoded) && CoapUInt.TryRead(encoded, out value);
    }

    /// <summary>Content-Format (RFC 7252 §5.10.3, uint 0–2 bytes); false when absent or out of range.</summary>
    public bool TryGetContentFormat(out ushort contentFormat)
    {
        contentFormat = 0;
        if (!TryGetOption(CoapOptionNumber.ContentFormat, out ReadOnlySpan<byte> encoded)
            || encoded.Length > sizeof(ushort)
            || !CoapUInt.TryRead(encoded, out uint value))
        {
            return false;
        }

        contentFormat = (ushort)value;
        return true;
    }

    /// <summary>The Block1 option (RFC 7959 §2.2).</summary>
    public CoapBlockStatus TryGetBlock1(out CoapBlockOption block) => TryGetBlock(CoapOptionNumber.Block1, out block);

    /// <summary>The Block2 option (RFC 7959 §2.2).</summary>
    public CoapBlockStatus TryGetBlock2(out CoapBlockOption block) => TryGetBlock(CoapOptionNumber.Block2, out block);

    private CoapBlockStatus TryGetBlock(ushort optionNumber, out CoapBlockOption block)
    {
        if (!TryGetOption(optionNumber, out ReadOnlySpan<byte> encoded))
        {
            block = default;
            return CoapBlockStatus.Absent;
        }

        return CoapBlockOption.TryDecode(encoded, out block);
    }
}
