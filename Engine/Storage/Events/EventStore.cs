namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// Accepted events: the <see cref="EventJournal"/> is the durable record, <see cref="Index"/> (an
/// <see cref="IEventStore"/>: LiteDB by default) the store the console reads, rebuilt from the journal by
/// <see cref="Recover"/>. Backend-neutral: the same for every <see cref="IEventStore"/>.
/// </summary>
/// <remarks>
/// Delivery guarantee: when <see cref="StoreBatch"/> returns, the batch is fsynced in the journal (a store's
/// commits need not be flushed to disk when they return, so they promise nothing); acknowledge CONs only then.
/// The store may lose its latest commits in a crash; <see cref="Recover"/> puts them back. Both steps are
/// idempotent: an event key already stored is ignored (<see cref="IEventStore.Add"/>).
/// </remarks>
public sealed class EventStore(IEventStore index, EventJournal journal)
{
    private const int RecoverChunk = 4096;

    public EventJournal Journal => journal;

    /// <summary>The queryable store behind the journal.</summary>
    public IEventStore Index => index;

    /// <summary>Raised after events are stored (on the storing thread: keep handlers short), for whoever waits for the indexer.</summary>
    public event Action? Stored
    {
        add => index.Stored += value;
        remove => index.Stored -= value;
    }

    /// <summary>Journals the batch durably, then stores it; returns the events added.</summary>
    public int StoreBatch(IReadOnlyList<RecordedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return 0;
        }

        journal.AppendBatch(events);
        return IndexBatch(events);
    }

    /// <summary>
    /// Stores events that are already in <see cref="Journal"/> (never others: <see cref="Recover"/> relies on
    /// every stored event being journaled), leaving out those stored already; returns how many were added. Lets
    /// the ingest acknowledge right after <see cref="EventJournal.AppendBatch"/> and store on a later stage.
    /// </summary>
    public int IndexBatch(IReadOnlyList<RecordedEvent> events) => index.Add(events);

    /// <summary>
    /// Replays the journal into the store where events are missing (those older than the store's retention
    /// horizon stay deleted) and returns what the ingest needs to go on: the highest invocation counter per system
    /// title and the keys seen. Safe to run twice.
    /// </summary>
    public EventRecovery Recover()
    {
        var horizon = index.Horizon;
        var chunk = new List<RecordedEvent>(RecoverChunk);
        var journalCounters = new Dictionary<ulong, uint>();
        long reinserted = 0;
        var result = journal.Read(e =>
        {
            if (!journalCounters.TryGetValue(e.SystemTitle, out uint ic) || e.InvocationCounter > ic)
            {
                journalCounters[e.SystemTitle] = e.InvocationCounter; // replay protection, even for events past retention
            }

            if ((horizon is null || e.ReceivedAt >= horizon) && !index.Contains(e.Key))
            {
                chunk.Add(e); // Add drops repeats within the chunk
                if (chunk.Count == RecoverChunk)
                {
                    reinserted += index.Add(chunk);
                    chunk.Clear();
                }
            }
        });
        reinserted += index.Add(chunk);

        var state = index.RecoveryState();
        foreach (var (title, counter) in journalCounters)
        {
            if (!state.HighestInvocationCounters.TryGetValue(title, out uint ic) || counter > ic)
            {
                state.HighestInvocationCounters[title] = counter;
            }
        }

        return new EventRecovery
        {
            HighestInvocationCounters = state.HighestInvocationCounters,
            SeenKeys = state.SeenKeys,
            Reinserted = reinserted,
            Journal = result,
        };
    }

    /// <summary>Events stored.</summary>
    public long Count() => index.Count();

    public RecordedEvent? Find(EventKey key)
    {
        foreach (var e in ByMeter(key.MeterId))
        {
            if (e.Key == key)
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>A meter's events, newest received first (at least its newest <see cref="IEventStore.MeterHistory"/>).</summary>
    public IReadOnlyList<RecordedEvent> ByMeter(Guid meterId, int limit = int.MaxValue) => index.ByMeter(meterId, limit);

    /// <summary>The newest event of each of <paramref name="meterIds"/> that has any.</summary>
    public IReadOnlyDictionary<Guid, RecordedEvent> LastByMeters(IEnumerable<Guid> meterIds) => index.LastByMeters(meterIds);

    /// <summary>The <paramref name="count"/> events received last, newest first.</summary>
    public IReadOnlyList<RecordedEvent> Recent(int count) => index.Recent(count);

    /// <summary>Every stored event in the order stored (for rebuilding state at start).</summary>
    public void ForEach(Action<RecordedEvent> onEvent) => index.ForEach(onEvent);

    /// <summary>True when an event with this key is stored (committed, not necessarily on disk yet).</summary>
    public bool Contains(EventKey key) => index.Contains(key);

    /// <summary>Saves what the store needs to load fast at the next start (see <see cref="IEventStore.SaveSummary"/>).</summary>
    public int SaveSummary() => index.SaveSummary();
}
