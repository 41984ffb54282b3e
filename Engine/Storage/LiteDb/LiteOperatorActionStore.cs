using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary><see cref="IOperatorActionStore"/> in LiteDB: collection <c>operatorActions</c>, auto-numbered in insertion order.</summary>
public sealed class LiteOperatorActionStore(LiteStore store) : IOperatorActionStore
{
    public const string CollectionName = "operatorActions";

    private ILiteCollection<BsonDocument> Collection()
    {
        var col = store.Database.GetCollection(CollectionName, BsonAutoId.Int32);
        col.EnsureIndex("AtTicks");
        return col;
    }

    public void Add(OperatorAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var doc = ToDocument(action);
        action.Id = LiteErrors.Guard(() => Collection().Insert(doc).AsInt32); // auto id: insertion order
    }

    public IReadOnlyList<OperatorAction> All() =>
        LiteErrors.Guard(() => Collection().Query().OrderBy("_id").ToEnumerable().Select(FromDocument).ToList());

    public int DeleteBefore(DateTimeOffset horizon) =>
        LiteErrors.Guard(() => Collection().DeleteMany(Query.LT("AtTicks", horizon.UtcTicks)));

    // The field names are those LiteDB's mapper gave the class before: stores written then read the same.
    private static BsonDocument ToDocument(OperatorAction a)
    {
        var doc = new BsonDocument
        {
            ["Kind"] = a.Kind,
            ["AtTicks"] = a.AtTicks,
            ["Actor"] = a.Actor,
        };
        Optional(doc, "OutageId", a.OutageId);
        Optional(doc, "Meter", a.Meter);
        Optional(doc, "Transformer", a.Transformer);
        Optional(doc, "Crew", a.Crew);
        Optional(doc, "Note", a.Note);
        if (a.UntilTicks != 0)
        {
            doc["UntilTicks"] = a.UntilTicks;
        }

        if (a.AfterEvent is not null)
        {
            doc["AfterEvent"] = a.AfterEvent;
        }

        return doc;
    }

    private static void Optional(BsonDocument doc, string name, string? value)
    {
        if (value is not null)
        {
            doc[name] = value;
        }
    }

    private static OperatorAction FromDocument(BsonDocument doc) => new()
    {
        Id = doc["_id"].AsInt32,
        Kind = doc["Kind"].AsString ?? "",
        AtTicks = doc["AtTicks"].AsInt64,
        Actor = doc["Actor"].AsString ?? "",
        OutageId = Text(doc, "OutageId"),
        Meter = Text(doc, "Meter"),
        Transformer = Text(doc, "Transformer"),
        Crew = Text(doc, "Crew"),
        Note = Text(doc, "Note"),
        UntilTicks = doc["UntilTicks"].IsInt64 ? doc["UntilTicks"].AsInt64 : 0,
        AfterEvent = doc["AfterEvent"].IsBinary ? doc["AfterEvent"].AsBinary : null,
    };

    private static string? Text(BsonDocument doc, string name) => doc[name].IsString ? doc[name].AsString : null;
}
