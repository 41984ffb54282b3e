namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>What to do with a CON or NON after <see cref="CoapDeduplicator.Register"/> (RFC 7252 §4.5).</summary>
public enum CoapDeduplicationResult
{
    /// <summary>First copy within the lifetime: process it; for a CON, hand the response to <see cref="CoapDeduplicator.SetResponse"/>.</summary>
    New = 0,

    /// <summary>A duplicate of a CON already answered: send the returned response bytes again, do not process.</summary>
    ResendResponse,

    /// <summary>
    /// A duplicate with nothing to send: a NON ("SHOULD silently ignore", RFC 7252 §4.5), or a
    /// CON whose first copy another worker is still processing (the client's next
    /// retransmission will find the response).
    /// </summary>
    Ignore,
}
