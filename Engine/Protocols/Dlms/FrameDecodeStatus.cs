namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// The outcome of <see cref="FrameDecoder.Decode"/>, one per response/log class of wire-format.md §1–4.
/// </summary>
public enum FrameDecodeStatus : byte
{
    /// <summary>Authenticated, decrypted and parsed; the GUID matches the registry.</summary>
    Ok = 0,

    /// <summary>Not a valid APDU of §2–3 (see <see cref="FrameDecodeResult.Error"/>): CoAP <c>4.00</c>.</summary>
    Malformed,

    /// <summary>The declared length is larger than the bytes received: logged as <c>ERR_PACKET_FRAGMENTED</c> (§1), CoAP <c>4.00</c>.</summary>
    Truncated,

    /// <summary>No meter is registered for the system title: CoAP <c>4.01</c>.</summary>
    UnknownSystemTitle,

    /// <summary>A security control byte other than <c>0x30</c> (§2): CoAP <c>4.01</c>.</summary>
    UnsupportedSecurity,

    /// <summary>The GCM tag does not verify under the registered meter's keys: CoAP <c>4.01</c>, a security event.</summary>
    AuthenticationFailed,

    /// <summary>Authenticated, but the GUID inside differs from the GUID registered for the system title (§4): rejected as rogue.</summary>
    RogueGuid,

    /// <summary>Authenticated, but the plaintext is not a Data-Notification (<see cref="FrameDecodeResult.PlaintextTag"/> holds its tag).</summary>
    NotADataNotification,
}
