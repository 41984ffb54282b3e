using LiteDB;
using OpsConsole.Engine.Protocols.Dlms;

namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// Accepted events: the <see cref="EventJournal"/> is the durable record, LiteDB collection
/// <c>events</c> the queryable index, rebuilt from the journal by <see cref="Recover"/>.
/// </summary>
/// <remarks>
/// Delivery guarantee: when <see cref="StoreBatch"/> returns, the batch is fsynced in the
/// journal (LiteDB commits are not flushed to disk when they return, so they promise nothing);
/// acknowledge CONs only then. LiteDB may lose its latest commits in a crash; <see cref="Recover"/>
/// puts them back. Both steps are idempotent: an event key already stored is ignored.
/// Documents: <c>_id</c> = <see cref="EventKey"/> bytes; times are UTC ticks (Int64), because BSON
/// dates keep only milliseconds.
/// </remarks>
public sealed class EventStore(LiteStore store, EventJournal journal)
{
    public const string CollectionName = "events";

    private const int RecoverChunk = 1000;

    private bool _indexed;

    public EventJournal Journal => journal;

    /// <summary>Journals the batch durably, then indexes it in LiteDB in one transaction; returns the documents added.</summary>
    public int StoreBatch(IReadOnlyList<RecordedEvent> events)
    {
        if (events.Count == 0)
        {
            return 0;
        }

        journal.AppendBatch(events);
        return IndexBatch(events);
    }

    /// <summary>
    /// Replays the journal into LiteDB where documents are missing and returns what the ingest
    /// needs to go on: the highest invocation counter per system title and the keys seen.
    /// Safe to run twice.
    /// </summary>
    /// <remarks>
    /// Every document comes from the journal (LiteDB is written only after the journal), so when
    /// the journal is undamaged and LiteDB holds as many documents as the journal holds keys,
    /// nothing is missing and the journal is read once. Otherwise the stored ids are loaded and the
    /// journal is read a second time to insert what LiteDB lacks.
    /// </remarks>
    public EventRecovery Recover()
    {
        var highest = new Dictionary<ulong, uint>();
        var keys = new HashSet<EventKey>();
        var result = journal.Read(e =>
        {
            if (!highest.TryGetValue(e.SystemTitle, out uint ic) || e.InvocationCounter > ic)
            {
                highest[e.SystemTitle] = e.InvocationCounter;
            }

            keys.Add(e.Key);
        });

        long reinserted = 0;
        var col = Collection();
        if (result.Corruptions.Count > 0 || col.LongCount() != keys.Count)
        {
            var stored = new HashSet<EventKey>();
            foreach (var doc in col.Query().Select("_id").ToEnumerable())
            {
                stored.Add(EventKey.FromBsonValue(doc["_id"]));
            }

            var chunk = new List<RecordedEvent>(RecoverChunk);
            journal.Read(e =>
            {
                if (stored.Add(e.Key))
                {
                    chunk.Add(e);
                    if (chunk.Count == RecoverChunk)
                    {
                        reinserted += IndexBatch(chunk);
                        chunk.Clear();
                    }
                }
            });
            reinserted += IndexBatch(chunk);
        }

        return new EventRecovery
        {
            HighestInvocationCounters = highest,
            SeenKeys = keys,
            Reinserted = reinserted,
            Journal = result,
        };
    }

    public long Count() => Collection().LongCount();

    public RecordedEvent? Find(EventKey key)
    {
        var doc = Collection().FindById(key.ToBsonValue());
        return doc is null ? null : FromDocument(doc);
    }

    /// <summary>A meter's events, newest received first.</summary>
    public IReadOnlyList<RecordedEvent> ByMeter(Guid meterId, int limit = int.MaxValue) =>
        [.. Collection().Find(Query.EQ("meter", meterId))
            .Select(FromDocument)
            .OrderByDescending(e => e.ReceivedAt)
            .ThenByDescending(e => e.Event.EventId)
            .Take(limit)];

    /// <summary>The <paramref name="count"/> events received last, newest first.</summary>
    public IReadOnlyList<RecordedEvent> Recent(int count) =>
        [.. Collection().Find(Query.All("receivedAt", Query.Descending), limit: count).Select(FromDocument)];

    private ILiteCollection<BsonDocument> Collection()
    {
        var col = store.Database.GetCollection(CollectionName);
        if (!_indexed)
        {
            col.EnsureIndex("meter");
            col.EnsureIndex("receivedAt");
            _indexed = true;
        }

        return col;
    }

    /// <summary>
    /// Indexes events that are already in <see cref="Journal"/> (never others: <see cref="Recover"/>
    /// relies on every document being journaled), inserting those whose keys are not stored yet in
    /// one transaction; returns how many were added. Lets the ingest acknowledge right after
    /// <see cref="EventJournal.AppendBatch"/> and index on a later stage.
    /// </summary>
    public int IndexBatch(IReadOnlyList<RecordedEvent> events)
    {
        if (events.Count == 0)
        {
            return 0;
        }

        var db = store.Database;
        var col = Collection();
        var docs = new Dictionary<EventKey, BsonDocument>(events.Count);
        foreach (var e in events)
        {
            docs.TryAdd(e.Key, ToDocument(e)); // the first of duplicates within a batch wins
        }

        // Fast path: nothing stored yet (the ingest de-duplicates before storing).
        if (TryInsertAll(db, col, docs.Values))
        {
            return docs.Count;
        }

        // Some keys exist (a retry or a replay at start): insert only the missing ones.
        Begin(db);
        try
        {
            int inserted = 0;
            foreach (var doc in docs.Values)
            {
                if (col.FindById(doc["_id"]) is null)
                {
                    col.Insert(doc);
                    inserted++;
                }
            }

            db.Commit();
            return inserted;
        }
        catch
        {
            db.Rollback();
            throw;
        }
    }

    private static bool TryInsertAll(LiteDatabase db, ILiteCollection<BsonDocument> col, IEnumerable<BsonDocument> docs)
    {
        Begin(db);
        try
        {
            col.InsertBulk(docs);
            db.Commit();
            return true;
        }
        catch (LiteException ex) when (ex.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            db.Rollback();
            return false;
        }
        catch
        {
            db.Rollback();
            throw;
        }
    }

    private static void Begin(LiteDatabase db)
    {
        if (!db.BeginTrans())
        {
            throw new InvalidOperationException("a LiteDB transaction is already open on this thread");
        }
    }

    private static BsonDocument ToDocument(RecordedEvent e) => new()
    {
        ["_id"] = e.Key.ToBsonValue(),
        ["meter"] = e.Event.MeterId,
        ["code"] = (int)e.Event.EventCode,
        ["eventId"] = (long)e.Event.EventId,
        ["epoch"] = (int)e.Event.Epoch,
        ["sendTime"] = e.Event.SendTime is { } send ? new BsonValue(send.UtcTicks) : BsonValue.Null,
        ["eventTime"] = e.Event.EventTime.UtcTicks,
        ["capMv"] = (int)e.Event.CapacitorMillivolts,
        ["rssi"] = (int)e.Event.RssiDbm,
        ["invoke"] = (long)e.Event.InvokeIdAndPriority,
        ["systemTitle"] = unchecked((long)e.SystemTitle),
        ["ic"] = (long)e.InvocationCounter,
        ["receivedAt"] = e.ReceivedAt.UtcTicks,
        ["source"] = e.Source,
        ["flags"] = (int)e.Flags,
        ["topologyId"] = e.TopologyId is null ? BsonValue.Null : new BsonValue(e.TopologyId),
    };

    private static RecordedEvent FromDocument(BsonDocument d) => new(
        new MeterEvent(
            d["meter"].AsGuid,
            (MeterEventCode)d["code"].AsInt32,
            (uint)d["eventId"].AsInt64,
            (ushort)d["epoch"].AsInt32,
            d["sendTime"].IsNull ? null : new DateTimeOffset(d["sendTime"].AsInt64, TimeSpan.Zero),
            new DateTimeOffset(d["eventTime"].AsInt64, TimeSpan.Zero),
            (ushort)d["capMv"].AsInt32,
            (sbyte)d["rssi"].AsInt32,
            (uint)d["invoke"].AsInt64),
        unchecked((ulong)d["systemTitle"].AsInt64),
        (uint)d["ic"].AsInt64,
        new DateTimeOffset(d["receivedAt"].AsInt64, TimeSpan.Zero),
        d["source"].AsString,
        (EventFlags)d["flags"].AsInt32,
        d["topologyId"].IsNull ? null : d["topologyId"].AsString);
}
