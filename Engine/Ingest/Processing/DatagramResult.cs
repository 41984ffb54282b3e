using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Ingest.Processing;

/// <summary>How <see cref="DatagramProcessor.Process"/> classified a datagram (and which counter it took).</summary>
public enum DatagramOutcome
{
    /// <summary>Rejected: <see cref="IngestStats.Rejected"/> was counted and a line was logged.</summary>
    Rejected = 0,

    /// <summary>A CoAP retransmission or an event already recorded: <see cref="IngestStats.Duplicate"/> was counted.</summary>
    Duplicate,

    /// <summary>A message that carries no event (ping, Block1 continuation, stray ACK/RST/response): <see cref="IngestStats.Control"/> was counted.</summary>
    Control,

    /// <summary>
    /// An event to record: nothing was counted yet. The caller appends <see cref="DatagramResult.Event"/>
    /// to the journal and, once it is durable, calls <see cref="IngestContext.Commit"/> (which counts
    /// <see cref="IngestStats.Accepted"/> and caches the ACK), or <see cref="IngestContext.Abandon"/> when
    /// persisting failed (the datagram then counts as nothing until the meter retries — see
    /// <see cref="IngestContext.Abandon"/>).
    /// </summary>
    Persist,
}

/// <summary>
/// The decision for one datagram. The response bytes, if any, are in the span the caller passed
/// to <see cref="DatagramProcessor.Process"/>, at <c>[0, <see cref="ResponseLength"/>)</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="SendNow"/>: send the bytes immediately (RST, 2.31, 4.xx, 2.04 for a duplicate, a cached response).</item>
/// <item><see cref="SendAfterDurable"/>: the prepared 2.04 ACK for a CON event; send it only after the
/// journal flush, then call <see cref="IngestContext.Commit"/> with the same bytes so a retransmitted CON
/// gets the identical answer. Until then a retransmission is ignored (counted as a duplicate): the
/// meter's next retry after the flush finds the cached ACK.</item>
/// <item><see cref="ResponseLength"/> 0: send nothing (NON, denied gateway, unparseable header, stray messages).</item>
/// </list>
/// <see cref="IngestStats.Accepted"/> is never counted here: only the caller knows when the event is
/// durable, so it counts it (through <see cref="IngestContext.Commit"/>) after the flush. Once every
/// <see cref="DatagramOutcome.Persist"/> result is committed or abandoned,
/// received = accepted + duplicates + rejected + control (+ abandoned, normally 0).
/// </remarks>
public readonly record struct DatagramResult
{
    /// <summary>Which counter the datagram took (none yet for <see cref="DatagramOutcome.Persist"/>).</summary>
    public DatagramOutcome Outcome { get; init; }

    /// <summary>For <see cref="DatagramOutcome.Rejected"/>: the logged reason.</summary>
    public RejectReason? Reason { get; init; }

    /// <summary>Bytes of the response written to the caller's span; 0 = nothing to send, now or later.</summary>
    public int ResponseLength { get; init; }

    /// <summary>True when the response is the ACK of a CON event that must wait for the journal flush.</summary>
    public bool SendAfterDurable { get; init; }

    /// <summary>True when the response is to be sent immediately.</summary>
    public bool SendNow => ResponseLength > 0 && !SendAfterDurable;

    /// <summary>For <see cref="DatagramOutcome.Persist"/>: the event to append to the journal.</summary>
    public RecordedEvent? Event { get; init; }

    /// <summary>The sender (IPv4-mapped addresses as IPv4), the de-duplication key with <see cref="MessageId"/>.</summary>
    public CoapEndpoint Source { get; init; }

    /// <summary>The CoAP Message ID, when the header was readable.</summary>
    public ushort MessageId { get; init; }

    /// <summary>True when the message was a CON.</summary>
    public bool IsConfirmable { get; init; }
}
