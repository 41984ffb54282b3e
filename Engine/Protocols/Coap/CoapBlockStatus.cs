namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>Outcome of reading a Block1/Block2 option value (RFC 7959 §2.2).</summary>
public enum CoapBlockStatus
{
    /// <summary>A valid value.</summary>
    Ok = 0,

    /// <summary>The message has no such option.</summary>
    Absent,

    /// <summary>
    /// More than 3 bytes. RFC 7252 §5.4.3: a request option whose length is outside the defined
    /// range is treated like an unrecognised option; Block options are critical, so 4.02 Bad Option.
    /// </summary>
    InvalidLength,

    /// <summary>SZX 7: "MUST lead to a 4.00 Bad Request response code upon reception in a request" (RFC 7959 §2.2).</summary>
    ReservedSizeExponent,
}
