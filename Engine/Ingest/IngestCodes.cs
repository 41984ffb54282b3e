namespace OpsConsole.Engine.Ingest;

/// <summary>
/// Why a datagram was not recorded. The names are the codes written to the event-processor
/// log (administrators grep for them) and the keys of <c>rejected</c> in <c>/api/stats</c>.
/// </summary>
#pragma warning disable CA1707 // The member names are the log codes themselves (ERR_REPLAY …): kept verbatim.
public enum RejectReason
{
    /// <summary>Source address outside <c>Hes:AllowedGateways</c>: dropped without an answer.</summary>
    ERR_GATEWAY_DENIED,

    /// <summary>Not a CoAP message (RFC 7252 §4.2–4.3): RST to a CON, silence to a NON.</summary>
    ERR_MALFORMED_COAP,

    /// <summary>An unrecognised critical option: 4.02.</summary>
    ERR_BAD_OPTION,

    /// <summary>A Uri-Path other than /ami/ev, or a method other than POST: 4.04 / 4.05.</summary>
    ERR_NOT_FOUND,

    /// <summary>A block-wise transfer abandoned or out of order, or an APDU shorter than it declares.</summary>
    ERR_PACKET_FRAGMENTED,

    /// <summary>Well-formed CoAP whose payload is not a valid APDU of wire-format.md §2–3: 4.00.</summary>
    ERR_MALFORMED_APDU,

    /// <summary>No meter has this system title: 4.01.</summary>
    ERR_UNKNOWN_METER,

    /// <summary>Decryption or authentication failed (wrong key, tampered frame, other security control): 4.01.</summary>
    ERR_AUTH_FAILED,

    /// <summary>The decrypted GUID is not the one registered for the system title: 4.01.</summary>
    ERR_ROGUE_GUID,

    /// <summary>Invocation counter not above the highest accepted for the meter: 4.01.</summary>
    ERR_REPLAY,

    /// <summary>The head-end could not take the message now (queues full): no answer, the meter retries a CON.</summary>
    ERR_OVERLOAD,
}
#pragma warning restore CA1707

/// <summary>Flags on events that are still recorded (wire-format.md §5).</summary>
public enum FlagCode
{
    /// <summary><c>0x092</c> Time Sync Mismatch: kept for audit, excluded from correlation.</summary>
    TimeSyncMismatch,

    /// <summary><c>0x04F</c> Capacitor Discharge Failure risk: power-down below the capacitor floor.</summary>
    CapacitorLow,

    /// <summary><c>ST_SIGNAL_LOW</c>: RSSI below the floor.</summary>
    SignalLow,
}

public static class FlagCodes
{
    /// <summary>The code as logged and reported.</summary>
    public static string ToCode(this FlagCode flag) => flag switch
    {
        FlagCode.TimeSyncMismatch => "0x092",
        FlagCode.CapacitorLow => "0x04F",
        _ => "ST_SIGNAL_LOW",
    };
}
