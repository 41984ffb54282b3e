using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary><see cref="ICounterStore"/> in LiteDB: collection <c>counters</c>, <c>{ _id: name, total }</c>.</summary>
public sealed class LiteCounterStore(LiteStore store) : ICounterStore
{
    public const string CollectionName = "counters";

    private readonly Lock _writer = new();

    public IReadOnlyDictionary<string, long> Load() =>
        LiteErrors.Guard(() => store.Database.GetCollection(CollectionName).FindAll().ToDictionary(d => d["_id"].AsString, d => d["total"].AsInt64, StringComparer.Ordinal));

    public void Add(IReadOnlyDictionary<string, long> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        if (deltas.Count == 0)
        {
            return;
        }

        lock (_writer) // read-add-write: one at a time in this process (LiteDB has one writer per file anyway)
        {
            LiteErrors.Guard(() => LiteEventStore.InTransaction(store.Database, () =>
            {
                var col = store.Database.GetCollection(CollectionName);
                foreach (var (name, delta) in deltas)
                {
                    long total = col.FindById(name) is { } doc ? doc["total"].AsInt64 : 0;
                    col.Upsert(new BsonDocument { ["_id"] = name, ["total"] = total + delta });
                }
            }));
        }
    }
}
