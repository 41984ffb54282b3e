using System.Globalization;
using LiteDB;
using OpsConsole.Engine.Correlation;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// <see cref="IOutageStore"/> in LiteDB collection <c>outages</c>: one document per outage, <c>_id</c> its creation
/// sequence (so the <c>_id</c> order is the creation order), with an index on <c>open</c> for <see cref="Open"/>.
/// </summary>
public sealed class LiteDbOutageStore : IOutageStore
{
    public const string CollectionName = "outages";

    private readonly LiteStore _store;

    public LiteDbOutageStore(LiteStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        LiteErrors.Guard(() => Collection.EnsureIndex("open"));
    }

    private ILiteCollection<BsonDocument> Collection => _store.Database.GetCollection(CollectionName);

    public void Save(IReadOnlyCollection<StoredOutage> outages)
    {
        ArgumentNullException.ThrowIfNull(outages);
        if (outages.Count > 0)
        {
            LiteErrors.Guard(() => Collection.Upsert(outages.Select(ToDocument))); // one transaction
        }
    }

    public void ReplaceAll(IReadOnlyCollection<StoredOutage> outages)
    {
        ArgumentNullException.ThrowIfNull(outages);
        LiteErrors.Guard(() => LiteEventStore.InTransaction(_store.Database, () =>
        {
            Collection.DeleteAll();
            Collection.InsertBulk(outages.Select(ToDocument));
        }));
    }

    public StoredOutage? Find(string id) =>
        Sequence(id) is { } n && LiteErrors.Guard(() => Collection.FindById(n)) is { } doc ? FromDocument(doc) : null;

    public IReadOnlyList<StoredOutage> Open() =>
        LiteErrors.Guard(() => (IReadOnlyList<StoredOutage>)[.. Collection.Find(Query.EQ("open", true)).OrderBy(d => d["_id"].AsInt32).Select(FromDocument)]);

    public IReadOnlyList<StoredOutage> All() =>
        LiteErrors.Guard(() => (IReadOnlyList<StoredOutage>)[.. Collection.Query().OrderBy("_id").ToEnumerable().Select(FromDocument)]);

    public long Count() => LiteErrors.Guard(() => Collection.LongCount());

    private static int? Sequence(string? id) =>
        id is not null && id.StartsWith("O-", StringComparison.Ordinal)
        && int.TryParse(id.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;

    private static BsonDocument ToDocument(StoredOutage stored)
    {
        var o = stored.Outage;
        var history = new BsonArray(o.History.Select(h => new BsonDocument
        {
            ["from"] = h.From?.ToString() ?? BsonValue.Null,
            ["state"] = h.State.ToString(),
            ["at"] = h.At.UtcTicks,
            ["actor"] = h.Actor,
            ["note"] = h.Note ?? BsonValue.Null,
        }));
        var steps = new BsonArray(o.RestorationSteps.Select(s => new BsonDocument { ["at"] = s.At.UtcTicks, ["customers"] = s.CustomersRestored }));
        return new BsonDocument
        {
            ["_id"] = Sequence(o.Id) ?? throw new ArgumentException($"'{o.Id}' is not an outage id (O-n)", nameof(stored)),
            ["level"] = o.Level.ToString(),
            ["deviceId"] = o.DeviceId,
            ["state"] = o.State.ToString(),
            ["open"] = stored.IsOpen,
            ["meters"] = o.Meters,
            ["critical"] = o.CriticalMeters,
            ["startedAt"] = o.StartedAt.UtcTicks,
            ["confirmedAt"] = o.ConfirmedAt is { } c ? c.UtcTicks : BsonValue.Null,
            ["restoredAt"] = o.RestoredAt is { } r ? r.UtcTicks : BsonValue.Null,
            ["priority"] = o.Priority,
            ["explanation"] = o.Explanation,
            ["parent"] = o.ParentOutageId ?? BsonValue.Null,
            ["mergedInto"] = stored.MergedIntoId ?? BsonValue.Null,
            ["metersDown"] = o.MetersDown,
            ["reporting"] = new BsonArray(o.ReportingMeterIds.Select(m => new BsonValue(m))),
            ["history"] = history,
            ["steps"] = steps,
        };
    }

    private static StoredOutage FromDocument(BsonDocument d)
    {
        var outage = new Outage(
            "O-" + d["_id"].AsInt32.ToString(CultureInfo.InvariantCulture),
            Enum.Parse<OutageLevel>(d["level"].AsString),
            d["deviceId"].AsString,
            Enum.Parse<OutageState>(d["state"].AsString),
            d["meters"].AsInt32,
            d["reporting"].AsArray.Count,
            d["critical"].AsInt32,
            Utc(d["startedAt"].AsInt64),
            d["confirmedAt"].IsNull ? null : Utc(d["confirmedAt"].AsInt64),
            d["restoredAt"].IsNull ? null : Utc(d["restoredAt"].AsInt64),
            d["priority"].AsInt32,
            d["explanation"].AsString,
            d["parent"].IsNull ? null : d["parent"].AsString,
            [.. d["history"].AsArray.Select(h => new OutageTransition(
                h["from"].IsNull ? null : Enum.Parse<OutageState>(h["from"].AsString),
                Enum.Parse<OutageState>(h["state"].AsString),
                Utc(h["at"].AsInt64),
                h["actor"].AsString,
                h["note"].IsNull ? null : h["note"].AsString))],
            [.. d["reporting"].AsArray.Select(m => m.AsString)],
            [.. d["steps"].AsArray.Select(s => new RestorationStep(Utc(s["at"].AsInt64), s["customers"].AsInt32))],
            d["metersDown"].AsInt32);
        return new StoredOutage(outage, d["mergedInto"].IsNull ? null : d["mergedInto"].AsString);
    }

    private static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);
}
