using System.Collections.Concurrent;
using System.Globalization;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Ingest.Processing;

/// <summary>
/// Everything the ingest workers share, all thread-safe: counters, the event-processor log, CoAP
/// de-duplication, Block1 reassembly, the replay guard, the set of recorded event keys, the §5
/// validator, the gateway filter and the meter registry. Each worker has its own
/// <see cref="DatagramProcessor"/> (which owns the non-thread-safe <c>FrameDecoder</c>) over one context.
/// </summary>
public sealed class IngestContext
{
    // (system title, invocation counter) of events whose persistence failed after the replay guard
    // advanced: the guard cannot step back, so the meter's retry of exactly that frame is let through once.
    private readonly ConcurrentDictionary<(ulong SystemTitle, uint Counter), byte> _abandonedCounters = new();

    public IngestContext(
        IngestStats stats,
        EventProcessorLog log,
        CoapDeduplicator dedup,
        Block1Reassembler reassembler,
        ReplayGuard replay,
        EventValidator validator,
        GatewayFilter gateways,
        MeterRegistry registry,
        TimeProvider time,
        IEnumerable<EventKey>? recordedKeys = null)
        : this(stats, log, dedup, reassembler, replay, validator, gateways, registry, time, Seed(recordedKeys))
    {
    }

    public IngestContext(
        IngestStats stats,
        EventProcessorLog log,
        CoapDeduplicator dedup,
        Block1Reassembler reassembler,
        ReplayGuard replay,
        EventValidator validator,
        GatewayFilter gateways,
        MeterRegistry registry,
        TimeProvider time,
        SeenEventKeys recordedKeys)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(dedup);
        ArgumentNullException.ThrowIfNull(reassembler);
        ArgumentNullException.ThrowIfNull(replay);
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(gateways);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(time);
        Stats = stats;
        Log = log;
        Dedup = dedup;
        Reassembler = reassembler;
        Replay = replay;
        Validator = validator;
        Gateways = gateways;
        Registry = registry;
        Time = time;
        ArgumentNullException.ThrowIfNull(recordedKeys);
        SeenKeys = recordedKeys;
        DeniedLog = new LogRateLimiter(time, DeniedLogInterval);
    }

    /// <summary>The least time between two ERR_GATEWAY_DENIED lines in the event-processor log.</summary>
    public static readonly TimeSpan DeniedLogInterval = TimeSpan.FromSeconds(1);

    private static SeenEventKeys Seed(IEnumerable<EventKey>? keys)
    {
        var seen = new SeenEventKeys();
        foreach (EventKey key in keys ?? [])
        {
            seen.TryAdd(key);
        }

        return seen;
    }

    public IngestStats Stats { get; }

    public EventProcessorLog Log { get; }

    public CoapDeduplicator Dedup { get; }

    public Block1Reassembler Reassembler { get; }

    public ReplayGuard Replay { get; }

    public EventValidator Validator { get; }

    public GatewayFilter Gateways { get; }

    public MeterRegistry Registry { get; }

    public TimeProvider Time { get; }

    /// <summary>Rate limit of the ERR_GATEWAY_DENIED log lines (one per <see cref="DeniedLogInterval"/>, plus a count of those held back).</summary>
    public LogRateLimiter DeniedLog { get; }

    /// <summary>
    /// (GUID, epoch, event id) of every event recorded or being recorded, seeded from recovery. A key is
    /// added when its event is handed to the caller to persist, and removed by <see cref="Abandon"/>.
    /// Kept as per-meter ranges (<see cref="SeenEventKeys"/>), so memory follows meters, not events.
    /// </summary>
    public SeenEventKeys SeenKeys { get; }

    /// <summary>
    /// The caller's half of an accepted event, once the journal flush made <paramref name="recorded"/>
    /// durable: counts <see cref="IngestStats.Accepted"/> and, for a CON, remembers the ACK it is about to
    /// send (<paramref name="ack"/>, the bytes <see cref="DatagramProcessor.Process"/> prepared) so a
    /// retransmission gets the identical answer.
    /// </summary>
    public void Commit(RecordedEvent recorded, CoapEndpoint source, ushort messageId, ReadOnlySpan<byte> ack)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        Stats.Accepted();
        if (!ack.IsEmpty)
        {
            Dedup.SetResponse(source, messageId, ack);
        }
    }

    /// <summary>
    /// Persisting <paramref name="recorded"/> failed: forget its key and its de-duplication entry, so the
    /// meter's retransmission (same CON, or the same frame re-sent later) is processed afresh, and let that
    /// frame's invocation counter pass the replay guard once more. Nothing is counted: the datagram was
    /// received but ends in no counter, and the retry is a new received datagram.
    /// </summary>
    /// <param name="recorded">The event not persisted.</param>
    /// <param name="source">Where it came from.</param>
    /// <param name="messageId">Its CoAP Message ID.</param>
    /// <param name="confirmable">
    /// False for a NON (a last gasp): no meter retransmits it, so its counter is not remembered for a
    /// retry — otherwise a storm of NONs met by a stalled disk would grow that table by one entry per frame.
    /// </param>
    public void Abandon(RecordedEvent recorded, CoapEndpoint source, ushort messageId, bool confirmable = true)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        SeenKeys.Remove(recorded.Key);
        Dedup.Remove(source, messageId);
        if (confirmable)
        {
            _abandonedCounters.TryAdd((recorded.SystemTitle, recorded.InvocationCounter), 0);
        }
    }

    /// <summary>Counters of abandoned CONs waiting for their retransmission (diagnostics).</summary>
    public int AbandonedCount => _abandonedCounters.Count;

    /// <summary>
    /// The head-end could not take <paramref name="recorded"/> (journal queue full, or the journal
    /// write failed): <see cref="Abandon"/> it and count and log it <c>ERR_OVERLOAD</c>, with the
    /// gateway address in the same form as every other rejection.
    /// </summary>
    public void RejectOverloaded(RecordedEvent recorded, CoapEndpoint source, ushort messageId, string why, bool confirmable = true)
    {
        Abandon(recorded, source, messageId, confirmable);
        var endpoint = source.ToIPEndPoint();
        Stats.Rejected(endpoint.Address, RejectReason.ERR_OVERLOAD);
        Log.Rejected(RejectReason.ERR_OVERLOAD, endpoint, Registry.Describe(recorded.SystemTitle), why);
    }

    /// <summary>True (once) when this counter belongs to an event whose persistence was abandoned.</summary>
    internal bool TryReclaimAbandoned(ulong systemTitle, uint counter) =>
        !_abandonedCounters.IsEmpty && _abandonedCounters.TryRemove((systemTitle, counter), out _);

    /// <summary>
    /// The periodic sweep (call it every second or so): forgets expired de-duplication entries and logs
    /// every Block1 transfer abandoned by its sender as <c>ERR_PACKET_FRAGMENTED</c> (wire-format.md §1);
    /// writes one ERR_GATEWAY_DENIED line with the count of denied datagrams the rate limit held back, if any.
    /// </summary>
    /// <remarks>
    /// No counter moves: every block of an abandoned transfer was counted as
    /// <see cref="IngestStats.Control"/> when it was answered 2.31, so received = accepted + duplicates +
    /// rejected + control already holds for those datagrams; counting a rejection here would count a
    /// datagram twice. The abandonment is visible in the log only.
    /// </remarks>
    /// <returns>How many transfers were abandoned.</returns>
    public int PurgeExpired()
    {
        Dedup.PurgeExpired();
        if (DeniedLog.TryFlush(out long suppressed))
        {
            // Denied datagrams held back by the rate limit and not yet reported on a later line.
            Log.Rejected(RejectReason.ERR_GATEWAY_DENIED, null, null, string.Create(
                CultureInfo.InvariantCulture, $"suppressed={suppressed} reason=rate-limit"));
        }

        IReadOnlyList<AbandonedBlock1Transfer> abandoned = Reassembler.PurgeExpired();
        foreach (AbandonedBlock1Transfer transfer in abandoned)
        {
            Log.Rejected(RejectReason.ERR_PACKET_FRAGMENTED, transfer.Source.ToIPEndPoint(), null, string.Create(
                CultureInfo.InvariantCulture,
                $"path={transfer.Path} blocks={transfer.BlocksReceived} bytes={transfer.Received.Length} reason=block1-timeout"));
        }

        return abandoned.Count;
    }
}
