using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary><see cref="IRevokedSessionStore"/> in LiteDB: collection <c>revoked_sessions</c> (<c>{ _id: session id, Until }</c>).</summary>
public sealed class LiteRevokedSessionStore(LiteStore store) : IRevokedSessionStore
{
    public const string CollectionName = "revoked_sessions";

    private ILiteCollection<BsonDocument> Stored() => store.Database.GetCollection(CollectionName);

    public IReadOnlyList<(string Id, DateTime Until)> All() =>
        LiteErrors.Guard(() => Stored().FindAll().Select(d => (d["_id"].AsString, d["Until"].AsDateTime.ToUniversalTime())).ToList());

    public void Upsert(string id, DateTime until)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        LiteErrors.Guard(() => Stored().Upsert(new BsonDocument { ["_id"] = id, ["Until"] = DateTime.SpecifyKind(until, DateTimeKind.Utc) }));
    }

    public int DeleteExpired(DateTime now) =>
        LiteErrors.Guard(() => Stored().DeleteMany(Query.LT("Until", DateTime.SpecifyKind(now, DateTimeKind.Utc))));
}
