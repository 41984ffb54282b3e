namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// The derived time values of RFC 7252 §4.8.2 for the default transmission parameters
/// (ACK_TIMEOUT 2 s, ACK_RANDOM_FACTOR 1.5, MAX_RETRANSMIT 4, MAX_LATENCY 100 s, PROCESSING_DELAY 2 s).
/// </summary>
public static class CoapTransmissionParameters
{
    /// <summary>MAX_TRANSMIT_SPAN: 45 s from the first to the last retransmission of a CON.</summary>
    public static readonly TimeSpan MaxTransmitSpan = TimeSpan.FromSeconds(45);

    /// <summary>MAX_TRANSMIT_WAIT: 93 s.</summary>
    public static readonly TimeSpan MaxTransmitWait = TimeSpan.FromSeconds(93);

    /// <summary>MAX_LATENCY: 100 s.</summary>
    public static readonly TimeSpan MaxLatency = TimeSpan.FromSeconds(100);

    /// <summary>MAX_RTT: 202 s.</summary>
    public static readonly TimeSpan MaxRtt = TimeSpan.FromSeconds(202);

    /// <summary>EXCHANGE_LIFETIME: 247 s, how long a CON's Message ID stays a duplicate (RFC 7252 §4.5).</summary>
    public static readonly TimeSpan ExchangeLifetime = TimeSpan.FromSeconds(247);

    /// <summary>NON_LIFETIME: 145 s, how long a NON's Message ID stays a duplicate (RFC 7252 §4.5).</summary>
    public static readonly TimeSpan NonLifetime = TimeSpan.FromSeconds(145);
}
