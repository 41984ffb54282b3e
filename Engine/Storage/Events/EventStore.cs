using System.Buffers.Binary;
using LiteDB;

namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// Accepted events: the <see cref="EventJournal"/> is the durable record, LiteDB collection
/// <c>eventBatches</c> the store the console reads, rebuilt from the journal by <see cref="Recover"/>.
/// </summary>
/// <remarks>
/// <para>Delivery guarantee: when <see cref="StoreBatch"/> returns, the batch is fsynced in the
/// journal (LiteDB commits are not flushed to disk when they return, so they promise nothing);
/// acknowledge CONs only then. LiteDB may lose its latest commits in a crash; <see cref="Recover"/>
/// puts them back. Both steps are idempotent: an event key already stored is ignored.</para>
/// <para>One LiteDB document per batch, not per event: a document per event costs ~45 µs of LiteDB
/// work with two secondary indexes (StormBench --profile), a whole core at 22,000 events/s, where a
/// storm brings 100,000/s. A batch document is <c>{ _id: sequence, first, last: received-at UTC
/// ticks, count, events: binary }</c>, the events being <see cref="RecordedEventCodec"/> payloads each
/// preceded by its 2-byte little-endian length.</para>
/// <para>Memory stays flat however many events arrive: the look-ups kept in memory are per meter (its
/// keys as ranges of consecutive event ids, see <see cref="SeenEventKeys"/>; the ids of the last
/// <see cref="BatchesPerMeter"/> batches holding its events, for <see cref="ByMeter"/>) and per batch
/// (time range).</para>
/// </remarks>
public sealed partial class EventStore(LiteStore store, EventJournal journal)
{
    public const string CollectionName = "eventBatches";

    /// <summary>Batches remembered per meter: <see cref="ByMeter"/> looks no further back.</summary>
    public const int BatchesPerMeter = 16;

    private const int RecoverChunk = 4096;

    private readonly Lock _gate = new();   // the in-memory look-ups
    private readonly Lock _writer = new(); // one writer at a time: check, insert, publish
    private readonly SeenEventKeys _stored = new();
    private long _count;
    private readonly Dictionary<Guid, List<int>> _batchesByMeter = [];
    private readonly Dictionary<ulong, uint> _highestCounters = [];
    private readonly List<BatchHeader> _headers = [];
    private bool _loaded;
    private int _lastBatchId;

    public EventJournal Journal => journal;

    /// <summary>Raised after events are stored in LiteDB (on the storing thread: keep handlers short), for whoever waits for the indexer.</summary>
    public event Action? Stored;

    /// <summary>Journals the batch durably, then stores it in LiteDB in one document; returns the events added.</summary>
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
    /// Replays the journal into LiteDB where events are missing and returns what the ingest needs to
    /// go on: the highest invocation counter per system title and the keys seen. Safe to run twice.
    /// </summary>
    public EventRecovery Recover()
    {
        EnsureLoaded();
        var chunk = new List<RecordedEvent>(RecoverChunk);
        long reinserted = 0;
        var result = journal.Read(e =>
        {
            bool missing;
            lock (_gate)
            {
                missing = !_stored.Contains(e.Key);
            }

            if (missing)
            {
                chunk.Add(e); // IndexBatch drops repeats within the chunk
                if (chunk.Count == RecoverChunk)
                {
                    reinserted += IndexBatch(chunk);
                    chunk.Clear();
                }
            }
        });
        reinserted += IndexBatch(chunk);

        lock (_gate)
        {
            return new EventRecovery
            {
                HighestInvocationCounters = new Dictionary<ulong, uint>(_highestCounters),
                SeenKeys = _stored.Clone(),
                Reinserted = reinserted,
                Journal = result,
            };
        }
    }

    /// <summary>Events stored.</summary>
    public long Count()
    {
        EnsureLoaded();
        return Interlocked.Read(ref _count);
    }

    /// <summary>True when an event with this key is stored (in LiteDB; committed, not necessarily on disk yet).</summary>
    public bool Contains(EventKey key)
    {
        EnsureLoaded();
        lock (_gate)
        {
            return _stored.Contains(key);
        }
    }

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

    /// <summary>A meter's events in its last <see cref="BatchesPerMeter"/> batches, newest received first.</summary>
    public IReadOnlyList<RecordedEvent> ByMeter(Guid meterId, int limit = int.MaxValue)
    {
        EnsureLoaded();
        int[] batches;
        lock (_gate)
        {
            if (!_batchesByMeter.TryGetValue(meterId, out var list))
            {
                return [];
            }

            batches = [.. list];
        }

        var found = new List<RecordedEvent>();
        foreach (int id in batches)
        {
            ReadBatch(id, e =>
            {
                if (e.Event.MeterId == meterId)
                {
                    found.Add(e);
                }
            });
        }

        return [.. found.OrderByDescending(e => e.ReceivedAt).ThenByDescending(e => e.Event.EventId).Take(limit)];
    }

    /// <summary>
    /// The newest event of each of <paramref name="meterIds"/> that has any, reading each batch at most once: for an
    /// outage's thousands of meters (a storm's last gasps share few batches; meters without events cost a look-up).
    /// Looks in each meter's last batch only: batches are stored as events are received, so that is where its newest
    /// event is (unless the batch was put back late by <see cref="Recover"/>; <see cref="ByMeter"/> looks further).
    /// </summary>
    public IReadOnlyDictionary<Guid, RecordedEvent> LastByMeters(IEnumerable<Guid> meterIds)
    {
        ArgumentNullException.ThrowIfNull(meterIds);
        EnsureLoaded();
        var byBatch = new Dictionary<int, HashSet<Guid>>();
        lock (_gate)
        {
            foreach (var meter in meterIds)
            {
                if (_batchesByMeter.TryGetValue(meter, out var list) && list.Count > 0)
                {
                    if (!byBatch.TryGetValue(list[^1], out var set))
                    {
                        byBatch[list[^1]] = set = [];
                    }

                    set.Add(meter);
                }
            }
        }

        var found = new Dictionary<Guid, RecordedEvent>();
        foreach (var (id, meters) in byBatch)
        {
            ReadBatch(id, e =>
            {
                var meter = e.Event.MeterId;
                if (meters.Contains(meter) && (!found.TryGetValue(meter, out var best)
                    || e.ReceivedAt > best.ReceivedAt || (e.ReceivedAt == best.ReceivedAt && e.Event.EventId > best.Event.EventId)))
                {
                    found[meter] = e;
                }
            });
        }

        return found;
    }

    /// <summary>The <paramref name="count"/> events received last, newest first.</summary>
    public IReadOnlyList<RecordedEvent> Recent(int count)
    {
        EnsureLoaded();
        BatchHeader[] headers;
        lock (_gate)
        {
            headers = [.. _headers.OrderByDescending(h => h.Last)];
        }

        // Batches newest-last first; a batch whose newest event is older than the count-th newest
        // event already found (and all after it) cannot contribute.
        var found = new List<RecordedEvent>();
        foreach (var header in headers)
        {
            if (count <= 0 || (found.Count >= count && header.Last < CountthNewest(found, count)))
            {
                break;
            }

            ReadBatch(header.Id, found.Add);
        }

        return [.. found.OrderByDescending(e => e.ReceivedAt).ThenByDescending(e => e.Event.EventId).Take(count)];
    }

    private static long CountthNewest(List<RecordedEvent> events, int count) =>
        events.Select(e => e.ReceivedAt.UtcTicks).OrderDescending().ElementAt(count - 1);

    /// <summary>Every stored event, batch by batch in the order they were stored (for rebuilding state at start).</summary>
    public void ForEach(Action<RecordedEvent> onEvent)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        EnsureLoaded();
        int[] ids;
        lock (_gate)
        {
            ids = [.. _headers.Select(h => h.Id)];
        }

        foreach (int id in ids)
        {
            ReadBatch(id, onEvent);
        }
    }

    /// <summary>
    /// Stores events that are already in <see cref="Journal"/> (never others: <see cref="Recover"/>
    /// relies on every stored event being journaled) as one LiteDB document, leaving out those whose
    /// keys are stored already (the first of duplicates within the batch wins); returns how many were
    /// added. Lets the ingest acknowledge right after <see cref="EventJournal.AppendBatch"/> and store
    /// on a later stage.
    /// </summary>
    public int IndexBatch(IReadOnlyList<RecordedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return 0;
        }

        EnsureLoaded();
        lock (_writer)
        {
            var fresh = new List<RecordedEvent>(events.Count);
            var inBatch = new HashSet<EventKey>(events.Count);
            lock (_gate)
            {
                foreach (var e in events)
                {
                    if (!_stored.Contains(e.Key) && inBatch.Add(e.Key))
                    {
                        fresh.Add(e);
                    }
                }
            }

            if (fresh.Count == 0)
            {
                return 0;
            }

            int id = _lastBatchId + 1;
            var doc = ToDocument(id, fresh);
            Collection().Insert(doc);
            _lastBatchId = id;
            lock (_gate)
            {
                Publish(id, fresh);
            }

            Stored?.Invoke();
            return fresh.Count;
        }
    }

    private ILiteCollection<BsonDocument> Collection() => store.Database.GetCollection(CollectionName);

    private void EnsureLoaded()
    {
        lock (_writer)
        {
            if (_loaded)
            {
                return;
            }

            var batch = new List<RecordedEvent>();
            var damaged = new List<int>();
            int summarised = TryLoadSummary(); // the look-ups up to a batch id, so a start does not decode every event
            foreach (var doc in Collection().Query().Where(Query.GT("_id", summarised)).OrderBy("_id").ToEnumerable())
            {
                batch.Clear();
                int id = doc["_id"].AsInt32;
                _lastBatchId = Math.Max(_lastBatchId, id);
                try
                {
                    Decode(id, doc["events"].AsBinary, batch.Add);
                }
                catch (InvalidDataException)
                {
                    damaged.Add(id); // its events are in the journal: Recover stores them again
                    continue;
                }

                lock (_gate)
                {
                    Publish(id, batch);
                }
            }

            foreach (int id in damaged)
            {
                Collection().Delete(id);
            }

            _loaded = true;
        }
    }

    /// <summary>Adds a stored batch to the look-ups. Caller holds <see cref="_gate"/>.</summary>
    private void Publish(int id, List<RecordedEvent> events)
    {
        long first = long.MaxValue, last = long.MinValue;
        foreach (var e in events)
        {
            _stored.TryAdd(e.Key);
            if (!_batchesByMeter.TryGetValue(e.Event.MeterId, out var list))
            {
                _batchesByMeter[e.Event.MeterId] = list = new List<int>(1);
            }

            if (list.Count == 0 || list[^1] != id)
            {
                if (list.Count == BatchesPerMeter)
                {
                    list.RemoveAt(0);
                }

                list.Add(id);
            }

            if (!_highestCounters.TryGetValue(e.SystemTitle, out uint ic) || e.InvocationCounter > ic)
            {
                _highestCounters[e.SystemTitle] = e.InvocationCounter;
            }

            first = Math.Min(first, e.ReceivedAt.UtcTicks);
            last = Math.Max(last, e.ReceivedAt.UtcTicks);
        }

        _headers.Add(new BatchHeader(id, first, last));
        _count += events.Count;
    }

    private void ReadBatch(int id, Action<RecordedEvent> onEvent)
    {
        var doc = Collection().FindById(id);
        if (doc is not null)
        {
            Decode(id, doc["events"].AsBinary, onEvent);
        }
    }

    private static BsonDocument ToDocument(int id, List<RecordedEvent> events)
    {
        int size = 0;
        long first = long.MaxValue, last = long.MinValue;
        foreach (var e in events)
        {
            size += 2 + RecordedEventCodec.GetSize(e);
            first = Math.Min(first, e.ReceivedAt.UtcTicks);
            last = Math.Max(last, e.ReceivedAt.UtcTicks);
        }

        var bytes = new byte[size];
        int at = 0;
        foreach (var e in events)
        {
            int n = RecordedEventCodec.Write(e, bytes.AsSpan(at + 2));
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)n);
            at += 2 + n;
        }

        return new BsonDocument
        {
            ["_id"] = id,
            ["first"] = first,
            ["last"] = last,
            ["count"] = events.Count,
            ["events"] = bytes,
        };
    }

    private static void Decode(int id, byte[] bytes, Action<RecordedEvent> onEvent)
    {
        int at = 0;
        while (at < bytes.Length)
        {
            int n = bytes.Length - at >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at)) : -1;
            if (n < 0 || at + 2 + n > bytes.Length || !RecordedEventCodec.TryRead(bytes.AsSpan(at + 2, n), out var e))
            {
                throw new InvalidDataException($"{CollectionName} document {id} is damaged at byte {at}");
            }

            onEvent(e!);
            at += 2 + n;
        }
    }

    private readonly record struct BatchHeader(int Id, long First, long Last);
}
