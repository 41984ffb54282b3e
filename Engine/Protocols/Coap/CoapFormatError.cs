namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>What made a datagram a CoAP message format error (<see cref="CoapParseStatus.FormatError"/>).</summary>
public enum CoapFormatError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>TKL is 9–15: "reserved, MUST NOT be sent, and MUST be processed as a message format error" (RFC 7252 §3).</summary>
    TokenLengthReserved,

    /// <summary>The datagram ends inside the token.</summary>
    TokenTruncated,

    /// <summary>Code 0.00 with TKL &gt; 0 or with any byte after the Message ID (RFC 7252 §4.1).</summary>
    EmptyMessageNotEmpty,

    /// <summary>Option Delta nibble 15 in a byte that is not the 0xFF payload marker (RFC 7252 §3.1).</summary>
    OptionDeltaReserved,

    /// <summary>Option Length nibble 15 (RFC 7252 §3.1).</summary>
    OptionLengthReserved,

    /// <summary>The datagram ends inside an option's extended delta, extended length or value.</summary>
    OptionTruncated,

    /// <summary>The summed option deltas exceed 65535, the largest option number (RFC 7252 §5.4.6, §12.2).</summary>
    OptionNumberTooLarge,

    /// <summary>A 0xFF payload marker followed by a zero-length payload (RFC 7252 §3).</summary>
    PayloadMarkerWithoutPayload,
}
