namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// Why a frame of wire-format.md §2–3 was refused. One vocabulary for both layers, so that the
/// ingest log can name the exact cause; <see cref="FrameDecoder"/> groups them into a <see cref="FrameDecodeStatus"/>.
/// </summary>
public enum DlmsFrameError : byte
{
    /// <summary>No failure.</summary>
    None = 0,

    // ---- general-glo-ciphering (§2) ----

    /// <summary>The payload is empty or does not start with the <c>0xDB</c> tag.</summary>
    NotGeneralGloCiphering,

    /// <summary>The system title is not an octet-string of length 8 (<c>08</c> + 8 bytes).</summary>
    InvalidSystemTitle,

    /// <summary>An A-XDR length byte of <c>0x80</c> or <c>0x83</c>+ (either layer).</summary>
    InvalidLengthEncoding,

    /// <summary>
    /// The frame ends before its declared length (or inside its header): the head-end logs this as
    /// <c>ERR_PACKET_FRAGMENTED</c> (wire-format.md §1).
    /// </summary>
    Truncated,

    /// <summary>Bytes follow the declared end of the APDU (either layer).</summary>
    TrailingBytes,

    /// <summary>The ciphered content is shorter than security control + invocation counter + 12-byte tag.</summary>
    ContentTooShort,

    /// <summary>A security control byte other than <c>0x30</c> (suite 0, authenticated and encrypted).</summary>
    UnsupportedSecurityControl,

    /// <summary>The GCM tag does not verify: wrong keys, or altered bytes.</summary>
    AuthenticationFailed,

    // ---- Data-Notification (§3), after decryption ----

    /// <summary>The plaintext is empty or does not start with the Data-Notification tag <c>0x0F</c>.</summary>
    NotADataNotification,

    /// <summary>The plaintext ends inside a field.</summary>
    EndOfData,

    /// <summary>The date-time is neither <c>00</c> nor <c>0C</c> + a valid 12-byte COSEM date-time.</summary>
    InvalidSendTime,

    /// <summary>The notification-body is not a <c>structure</c> (<c>02</c>).</summary>
    NotAStructure,

    /// <summary>The structure does not hold exactly 7 elements.</summary>
    WrongElementCount,

    /// <summary>Element 1 is not <c>09 10</c> + 16 bytes.</summary>
    InvalidMeterGuid,

    /// <summary>Element 2 is not <c>11</c> + 1 byte.</summary>
    InvalidEventCode,

    /// <summary>Element 3 is not <c>06</c> + 4 bytes.</summary>
    InvalidEventId,

    /// <summary>Element 4 is not <c>12</c> + 2 bytes.</summary>
    InvalidEpoch,

    /// <summary>Element 5 is not <c>09 0C</c> + a valid 12-byte COSEM date-time.</summary>
    InvalidEventTime,

    /// <summary>Element 6 is not <c>12</c> + 2 bytes.</summary>
    InvalidCapacitorVoltage,

    /// <summary>Element 7 is not <c>0F</c> + 1 byte.</summary>
    InvalidRssi,
}
