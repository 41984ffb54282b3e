using System.Buffers.Binary;
using LiteDB;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// <see cref="IEventStore"/> in LiteDB: collection <c>eventBatches</c>, one document per added call.
/// </summary>
/// <remarks>
/// <para>One LiteDB document per batch, not per event: a document per event costs ~45 µs of LiteDB
/// work with two secondary indexes (StormBench --profile), a whole core at 22,000 events/s, where a
/// storm brings 100,000/s. A batch document is <c>{ _id: sequence, first, last: received-at UTC
/// ticks, count, events: binary }</c>, the events being <see cref="RecordedEventCodec"/> payloads each
/// preceded by its 2-byte little-endian length.</para>
/// <para>Memory stays flat however many events arrive: the look-ups kept in memory are per meter (its
/// keys as ranges of consecutive event ids, see <see cref="SeenEventKeys"/>; the ids of the last
/// <see cref="IEventStore.MeterHistory"/> batches holding its events, for <see cref="ByMeter"/>) and per batch
/// (time range).</para>
/// <para>Retention: <see cref="DeleteReceivedBefore"/> deletes the batches wholly older than the horizon and
/// rewrites the one or two that straddle it. Before that, in the same transaction, it keeps what replay
/// protection needs of the deleted events: per meter the highest key (<c>eventRetiredMeters</c>: every key up to
/// it counts as seen) and per system title the highest invocation counter (<c>eventRetiredTitles</c>), and the
/// horizon itself (<c>eventRetention</c>).</para>
/// </remarks>
public sealed partial class LiteEventStore(LiteStore store) : IEventStore
{
    public const string CollectionName = "eventBatches";
    public const string RetentionCollection = "eventRetention";
    public const string RetiredMetersCollection = "eventRetiredMeters";
    public const string RetiredTitlesCollection = "eventRetiredTitles";

    private const string HorizonId = "horizon";

    private readonly Lock _gate = new();   // the in-memory look-ups
    private readonly Lock _writer = new(); // one writer at a time: check, insert, publish
    private readonly SeenEventKeys _stored = new();
    private long _count;
    private readonly Dictionary<Guid, List<int>> _batchesByMeter = [];
    private readonly Dictionary<ulong, uint> _highestCounters = [];
    private readonly List<BatchHeader> _headers = [];
    private bool _loaded;
    private int _lastBatchId;
    private long _horizonTicks = long.MinValue;

    public event Action? Stored;

    public DateTimeOffset? Horizon
    {
        get
        {
            EnsureLoaded();
            long ticks = Interlocked.Read(ref _horizonTicks);
            return ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public long Count()
    {
        EnsureLoaded();
        return Interlocked.Read(ref _count);
    }

    public bool Contains(EventKey key)
    {
        EnsureLoaded();
        lock (_gate)
        {
            return _stored.Contains(key);
        }
    }

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
    /// Reads each batch at most once: for an outage's thousands of meters (a storm's last gasps share few batches;
    /// meters without events cost a look-up). Looks in each meter's last batch only: batches are stored as events
    /// are received, so that is where its newest event is (unless the batch was put back late by a recovery;
    /// <see cref="ByMeter"/> looks further).
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
                if (meters.Contains(meter) && (!found.TryGetValue(meter, out var best) || Newer(e, best)))
                {
                    found[meter] = e;
                }
            });
        }

        return found;
    }

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

    public IReadOnlyList<RecordedEvent> Between(DateTimeOffset from, DateTimeOffset to, int limit)
    {
        EnsureLoaded();
        long lo = from.UtcTicks, hi = to.UtcTicks;
        int[] ids;
        lock (_gate)
        {
            ids = [.. _headers.Where(h => h.Last >= lo && h.First < hi).Select(h => h.Id)];
        }

        var found = new List<RecordedEvent>();
        foreach (int id in ids)
        {
            ReadBatch(id, e =>
            {
                if (e.ReceivedAt.UtcTicks >= lo && e.ReceivedAt.UtcTicks < hi)
                {
                    found.Add(e);
                }
            });
        }

        return [.. found.OrderBy(e => e.ReceivedAt).Take(Math.Max(0, limit))]; // OrderBy is stable: equal times in stored order
    }

    private static long CountthNewest(List<RecordedEvent> events, int count) =>
        events.Select(e => e.ReceivedAt.UtcTicks).OrderDescending().ElementAt(count - 1);

    private static bool Newer(RecordedEvent a, RecordedEvent b) =>
        a.ReceivedAt > b.ReceivedAt || (a.ReceivedAt == b.ReceivedAt && a.Event.EventId > b.Event.EventId);

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

    public int Add(IReadOnlyList<RecordedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return 0;
        }

        EnsureLoaded();
        lock (_writer)
        {
            long horizon = Interlocked.Read(ref _horizonTicks);
            var fresh = new List<RecordedEvent>(events.Count);
            var inBatch = new HashSet<EventKey>(events.Count);
            lock (_gate)
            {
                foreach (var e in events)
                {
                    if (e.ReceivedAt.UtcTicks >= horizon && !_stored.Contains(e.Key) && inBatch.Add(e.Key))
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
            LiteErrors.Guard(() => Collection().Insert(doc));
            _lastBatchId = id;
            lock (_gate)
            {
                Publish(id, fresh);
            }

            Stored?.Invoke();
            return fresh.Count;
        }
    }

    public long DeleteReceivedBefore(DateTimeOffset horizon)
    {
        EnsureLoaded();
        long h = horizon.UtcTicks;
        lock (_writer)
        {
            BatchHeader[] touched;
            lock (_gate)
            {
                touched = [.. _headers.Where(b => b.First < h)];
            }

            var retiredMeters = new Dictionary<Guid, ulong>();
            var retiredTitles = new Dictionary<ulong, uint>();
            var rewritten = new Dictionary<int, List<RecordedEvent>>();
            var deleted = new List<int>();
            long removed = 0;
            foreach (var header in touched)
            {
                var keep = new List<RecordedEvent>();
                ReadBatch(header.Id, e =>
                {
                    if (e.ReceivedAt.UtcTicks >= h)
                    {
                        keep.Add(e);
                        return;
                    }

                    removed++;
                    ulong packed = SeenEventKeys.Pack(e.Key);
                    if (!retiredMeters.TryGetValue(e.Event.MeterId, out ulong floor) || packed > floor)
                    {
                        retiredMeters[e.Event.MeterId] = packed;
                    }

                    if (!retiredTitles.TryGetValue(e.SystemTitle, out uint ic) || e.InvocationCounter > ic)
                    {
                        retiredTitles[e.SystemTitle] = e.InvocationCounter;
                    }
                });
                if (keep.Count == 0)
                {
                    deleted.Add(header.Id);
                }
                else if (keep.Count < header.Count)
                {
                    rewritten[header.Id] = keep;
                }
            }

            long previous = Interlocked.Read(ref _horizonTicks);
            LiteErrors.Guard(() => InTransaction(store.Database, () =>
            {
                var db = store.Database;
                var meters = db.GetCollection(RetiredMetersCollection);
                foreach (var (meter, floor) in retiredMeters)
                {
                    var old = meters.FindById(new BsonValue(meter.ToByteArray(bigEndian: true)));
                    long value = old is null ? (long)floor : Math.Max(old["floor"].AsInt64, (long)floor);
                    meters.Upsert(new BsonDocument { ["_id"] = meter.ToByteArray(bigEndian: true), ["floor"] = value });
                }

                var titles = db.GetCollection(RetiredTitlesCollection);
                foreach (var (title, counter) in retiredTitles)
                {
                    var old = titles.FindById((long)title);
                    long value = old is null ? counter : Math.Max(old["counter"].AsInt64, counter);
                    titles.Upsert(new BsonDocument { ["_id"] = (long)title, ["counter"] = value });
                }

                db.GetCollection(RetentionCollection).Upsert(new BsonDocument { ["_id"] = HorizonId, ["ticks"] = Math.Max(previous, h) });
                db.GetCollection(SummaryCollectionName).DeleteAll(); // it describes batches this rewrites or deletes
                var batches = Collection();
                foreach (int id in deleted)
                {
                    batches.Delete(id);
                }

                foreach (var (id, keep) in rewritten)
                {
                    batches.Update(ToDocument(id, keep));
                }
            }));

            lock (_gate)
            {
                var gone = deleted.ToHashSet();
                _headers.RemoveAll(header => gone.Contains(header.Id)); // one pass: the deleted are at the front of a long list
                for (int i = 0; i < _headers.Count && rewritten.Count > 0; i++)
                {
                    if (rewritten.TryGetValue(_headers[i].Id, out var keep))
                    {
                        _headers[i] = HeaderOf(_headers[i].Id, keep);
                    }
                }

                if (gone.Count > 0)
                {
                    foreach (var (meter, list) in _batchesByMeter.ToList())
                    {
                        list.RemoveAll(gone.Contains);
                        if (list.Count == 0)
                        {
                            _batchesByMeter.Remove(meter);
                        }
                    }
                }

                _count -= removed;
                Interlocked.Exchange(ref _horizonTicks, Math.Max(previous, h));
            }

            return removed;
        }
    }

    public EventStoreState RecoveryState()
    {
        EnsureLoaded();
        lock (_gate)
        {
            return new EventStoreState(new Dictionary<ulong, uint>(_highestCounters), _stored.Clone());
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

            LiteErrors.Guard(Load);
            _loaded = true;
        }
    }

    private void Load()
    {
        var db = store.Database;
        if (db.GetCollection(RetentionCollection).FindById(HorizonId) is { } horizon)
        {
            _horizonTicks = horizon["ticks"].AsInt64;
        }

        int summarised = TryLoadSummary(); // the look-ups up to a batch id, so a start does not decode every event
        lock (_gate)
        {
            foreach (var doc in db.GetCollection(RetiredMetersCollection).FindAll())
            {
                var meter = new Guid(doc["_id"].AsBinary, bigEndian: true);
                _stored.AddThrough(meter, (ulong)doc["floor"].AsInt64);
            }

            foreach (var doc in db.GetCollection(RetiredTitlesCollection).FindAll())
            {
                var title = (ulong)doc["_id"].AsInt64;
                var counter = (uint)doc["counter"].AsInt64;
                if (!_highestCounters.TryGetValue(title, out uint known) || counter > known)
                {
                    _highestCounters[title] = counter;
                }
            }
        }

        var batch = new List<RecordedEvent>();
        var damaged = new List<int>();
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
                damaged.Add(id); // its events are in the journal: a recovery stores them again
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
    }

    /// <summary>Adds a stored batch to the look-ups. Caller holds <see cref="_gate"/>.</summary>
    private void Publish(int id, List<RecordedEvent> events)
    {
        foreach (var e in events)
        {
            _stored.TryAdd(e.Key);
            if (!_batchesByMeter.TryGetValue(e.Event.MeterId, out var list))
            {
                _batchesByMeter[e.Event.MeterId] = list = new List<int>(1);
            }

            if (list.Count == 0 || list[^1] != id)
            {
                if (list.Count == IEventStore.MeterHistory)
                {
                    list.RemoveAt(0);
                }

                list.Add(id);
            }

            if (!_highestCounters.TryGetValue(e.SystemTitle, out uint ic) || e.InvocationCounter > ic)
            {
                _highestCounters[e.SystemTitle] = e.InvocationCounter;
            }
        }

        _headers.Add(HeaderOf(id, events));
        _count += events.Count;
    }

    private static BatchHeader HeaderOf(int id, List<RecordedEvent> events)
    {
        long first = long.MaxValue, last = long.MinValue;
        foreach (var e in events)
        {
            first = Math.Min(first, e.ReceivedAt.UtcTicks);
            last = Math.Max(last, e.ReceivedAt.UtcTicks);
        }

        return new BatchHeader(id, first, last, events.Count);
    }

    private void ReadBatch(int id, Action<RecordedEvent> onEvent)
    {
        var doc = LiteErrors.Guard(() => Collection().FindById(id));
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

    internal static void InTransaction(LiteDatabase db, Action work)
    {
        if (!db.BeginTrans())
        {
            // LiteDB keeps one transaction per thread: a query left open on this pool thread would hold it.
            throw new StorageException("LiteDB: a transaction is already open on this thread; nothing was written");
        }

        try
        {
            work();
            db.Commit();
        }
        catch
        {
            db.Rollback();
            throw;
        }
    }

    private readonly record struct BatchHeader(int Id, long First, long Last, int Count);
}
