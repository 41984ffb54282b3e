namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>The message type, the 2-bit <c>T</c> field of the header (RFC 7252 §3, semantics in §4).</summary>
public enum CoapType
{
    /// <summary>CON: needs an ACK or a RST (RFC 7252 §4.2).</summary>
    Confirmable = 0,

    /// <summary>NON: never acknowledged (RFC 7252 §4.3).</summary>
    NonConfirmable = 1,

    /// <summary>ACK: echoes the Message ID of a CON; carries a piggy-backed response or is Empty (RFC 7252 §4.2).</summary>
    Acknowledgement = 2,

    /// <summary>RST: echoes the Message ID of a rejected message and is always Empty (RFC 7252 §4.2).</summary>
    Reset = 3,
}
