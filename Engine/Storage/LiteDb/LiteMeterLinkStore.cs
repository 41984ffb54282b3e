using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary><see cref="IMeterLinkStore"/> in LiteDB: collection <c>meter_links</c>, <c>{ _id: guid, ic, endpoint }</c>, one row per meter asked.</summary>
public sealed class LiteMeterLinkStore(LiteStore store) : IMeterLinkStore
{
    public const string CollectionName = "meter_links";

    private readonly Lock _writer = new();

    public uint ReserveInvocationCounter(Guid meter)
    {
        lock (_writer) // read-increment-write, one at a time
        {
            return LiteErrors.Guard(() =>
            {
                var col = store.Database.GetCollection(CollectionName);
                var doc = col.FindById(meter) ?? new BsonDocument { ["_id"] = meter };
                long next = (doc.TryGetValue("ic", out var ic) ? ic.AsInt64 : 0) + 1;
                if (next > uint.MaxValue)
                {
                    throw new InvalidOperationException($"meter {meter}: the head-end invocation counter is exhausted; the meter needs new keys");
                }

                doc["ic"] = next;
                col.Upsert(doc);
                return (uint)next;
            });
        }
    }

    public string? EndpointOf(Guid meter) =>
        LiteErrors.Guard(() => store.Database.GetCollection(CollectionName).FindById(meter) is { } doc && doc.TryGetValue("endpoint", out var e) && e.IsString ? e.AsString : null);

    public void SetEndpoint(Guid meter, string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        lock (_writer)
        {
            LiteErrors.Guard(() =>
            {
                var col = store.Database.GetCollection(CollectionName);
                var doc = col.FindById(meter) ?? new BsonDocument { ["_id"] = meter };
                if (doc.TryGetValue("endpoint", out var old) && old.IsString && old.AsString == endpoint)
                {
                    return;
                }

                doc["endpoint"] = endpoint;
                col.Upsert(doc);
            });
        }
    }
}
