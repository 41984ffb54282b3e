using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary><see cref="IAuditStore"/> in LiteDB: collection <c>audit</c>, indexed by time (the documents of earlier versions read the same).</summary>
public sealed class LiteAuditStore(LiteStore store) : IAuditStore
{
    public const string CollectionName = "audit";

    private int _indexed; // EnsureIndex takes the collection's write lock even when the index exists: once per store is enough

    private ILiteCollection<BsonDocument> Entries()
    {
        var col = store.Database.GetCollection(CollectionName, BsonAutoId.ObjectId);
        if (Volatile.Read(ref _indexed) == 0)
        {
            col.EnsureIndex("Time");
            Volatile.Write(ref _indexed, 1);
        }

        return col;
    }

    public void Add(AuditRecord entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var doc = new BsonDocument
        {
            ["_id"] = ObjectId.NewObjectId(), // increasing: the tie-break of equal times
            ["Time"] = DateTime.SpecifyKind(entry.Time, DateTimeKind.Utc),
            ["User"] = entry.User,
            ["Action"] = entry.Action,
            ["RemoteAddress"] = entry.RemoteAddress,
        };
        if (entry.Detail is not null)
        {
            doc["Detail"] = entry.Detail;
        }

        LiteErrors.Guard(() => Entries().Insert(doc));
    }

    public IReadOnlyList<AuditRecord> Query(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var conditions = new List<BsonExpression>();
        if (query.From is { } from)
        {
            conditions.Add(LiteDB.Query.GTE("Time", DateTime.SpecifyKind(from, DateTimeKind.Utc)));
        }

        if (query.To is { } to)
        {
            conditions.Add(LiteDB.Query.LT("Time", DateTime.SpecifyKind(to, DateTimeKind.Utc)));
        }

        return LiteErrors.Guard(() =>
        {
            var q = Entries().Query();
            foreach (var c in conditions)
            {
                q = q.Where(c);
            }

            // Time descending, filtered by user/action in memory while reading newest first, so only as many
            // documents are read as it takes to fill the page (plus the entries tied with its last one); equal
            // times then go by _id descending (ObjectIds increase: the one added last first).
            var found = new List<(AuditRecord Entry, ObjectId Id)>();
            foreach (var doc in q.OrderByDescending("Time").ToEnumerable())
            {
                var entry = FromDocument(doc);
                if ((query.User is null || string.Equals(entry.User, query.User, StringComparison.OrdinalIgnoreCase))
                    && (query.Action is null || string.Equals(entry.Action, query.Action, StringComparison.OrdinalIgnoreCase)))
                {
                    found.Add((entry, doc["_id"].IsObjectId ? doc["_id"].AsObjectId : ObjectId.Empty));
                    if (query.Limit <= 0 || (found.Count > query.Limit && found[^1].Entry.Time != found[query.Limit - 1].Entry.Time))
                    {
                        break;
                    }
                }
            }

            return (IReadOnlyList<AuditRecord>)[.. found.OrderByDescending(x => x.Entry.Time).ThenByDescending(x => x.Id).Select(x => x.Entry).Take(Math.Max(0, query.Limit))];
        });
    }

    public int DeleteBefore(DateTime horizon) =>
        LiteErrors.Guard(() => Entries().DeleteMany(LiteDB.Query.LT("Time", DateTime.SpecifyKind(horizon, DateTimeKind.Utc))));

    private static AuditRecord FromDocument(BsonDocument doc) => new(
        DateTime.SpecifyKind(doc["Time"].AsDateTime.ToUniversalTime(), DateTimeKind.Utc),
        doc["User"].AsString ?? "",
        doc["Action"].AsString ?? "",
        doc["RemoteAddress"].AsString ?? "",
        doc["Detail"].IsString ? doc["Detail"].AsString : null);
}
