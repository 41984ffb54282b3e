using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Storage;

/// <summary>
/// The queryable store of accepted events, behind <see cref="EventStore"/> (which journals first). What every
/// backend must honour is written down here and checked by the contract tests (EventStoreContract):
/// <list type="bullet">
/// <item><b>Idempotent by key.</b> <see cref="Add"/> leaves out events whose <see cref="EventKey"/> is stored
/// already, and within one call keeps the first of equal keys: storing a batch twice adds nothing the second time.</item>
/// <item><b>Order.</b> <see cref="ForEach"/> yields events in the order they were added (call by call, each call in
/// list order); <see cref="ByMeter"/> and <see cref="Recent"/> newest received first (equal times: higher event id
/// first); <see cref="Between"/> oldest received first.</item>
/// <item><b>Retention.</b> After <see cref="DeleteReceivedBefore"/>(h), no query returns an event received before h,
/// <see cref="Horizon"/> is at least h, and <see cref="Add"/> leaves out events received before it (so a journal
/// replay cannot bring deleted events back). The replay protection outlives the events: <see cref="RecoveryState"/>
/// still holds the invocation counters of deleted events and counts their keys as seen.</item>
/// <item><b>Concurrency.</b> One writer (<see cref="Add"/>, <see cref="DeleteReceivedBefore"/>) at a time, any
/// number of readers meanwhile; a reader sees each added call whole or not at all.</item>
/// <item><b>Failures</b> are <see cref="StorageException"/> (or another <see cref="IOException"/>); nothing is
/// half-added: an <see cref="Add"/> that failed can be called again.</item>
/// </list>
/// </summary>
public interface IEventStore
{
    /// <summary>How many of a meter's newest events <see cref="ByMeter"/> is sure to find.</summary>
    const int MeterHistory = 16;

    /// <summary>Raised after events are added (on the adding thread: keep handlers short).</summary>
    event Action? Stored;

    /// <summary>Events received before this were deleted (<see cref="DeleteReceivedBefore"/>); null when none was.</summary>
    DateTimeOffset? Horizon { get; }

    /// <summary>Adds the events not stored yet (see the idempotency rule); how many were added.</summary>
    int Add(IReadOnlyList<RecordedEvent> events);

    /// <summary>True when an event with this key is stored.</summary>
    bool Contains(EventKey key);

    /// <summary>Events stored.</summary>
    long Count();

    /// <summary>A meter's events, newest received first, at most <paramref name="limit"/>; at least its newest <see cref="MeterHistory"/>.</summary>
    IReadOnlyList<RecordedEvent> ByMeter(Guid meterId, int limit = int.MaxValue);

    /// <summary>The newest stored event of each of <paramref name="meterIds"/> that has any.</summary>
    IReadOnlyDictionary<Guid, RecordedEvent> LastByMeters(IEnumerable<Guid> meterIds);

    /// <summary>The <paramref name="count"/> events received last, newest first.</summary>
    IReadOnlyList<RecordedEvent> Recent(int count);

    /// <summary>Events received in [<paramref name="from"/>, <paramref name="to"/>), oldest first, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<RecordedEvent> Between(DateTimeOffset from, DateTimeOffset to, int limit);

    /// <summary>Every stored event in the order added (for rebuilding state at start).</summary>
    void ForEach(Action<RecordedEvent> onEvent);

    /// <summary>Deletes every event received before <paramref name="horizon"/>; how many went.</summary>
    long DeleteReceivedBefore(DateTimeOffset horizon);

    /// <summary>
    /// Makes the next start fast: saves whatever the store rebuilds in memory at load, as of the events added so far, so
    /// a load reads only what was added after it. Durable no later than the store's next durable commit (the correlation
    /// checkpoint calls it just before saving itself). A store with nothing to rebuild does nothing. Returns an opaque
    /// position it covers (0 when nothing is stored). A retention delete makes a saved summary void (the next load reads everything).
    /// </summary>
    int SaveSummary();

    /// <summary>What the ingest needs at start: highest invocation counter per system title and every key seen (deleted events' included, as ranges).</summary>
    EventStoreState RecoveryState();
}

/// <summary>The replay protection a store hands back at start (<see cref="IEventStore.RecoveryState"/>); copies the caller owns.</summary>
public sealed record EventStoreState(Dictionary<ulong, uint> HighestInvocationCounters, SeenEventKeys SeenKeys);
