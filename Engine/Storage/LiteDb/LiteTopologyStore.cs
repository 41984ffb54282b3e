using System.Text;
using System.Text.Json;
using LiteDB;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Snapshot;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// <see cref="ITopologyStore"/> in LiteDB. Persists the network as one document per feature (its GeoJSON text), replaced as a whole in
/// one transaction: a reader sees the old network or the new one, never a mix. Loading goes
/// back through the same validating reader as a file import. Two collections take turns: a save
/// writes the one not in force and flips the pointer in the same transaction, so the network it
/// replaced stays stored as the previous one until the next save, and a roll-back is one flip back.
/// Each collection has a compact snapshot of its network (<see cref="NetworkSnapshot"/>, chunked in
/// <c>&lt;collection&gt;_snapshot</c>) written in the same transaction, which a restart loads instead of the GeoJSON.
/// The snapshot's header document names it by its SHA-256, and a copy of it is kept as a file of that name
/// (<see cref="SnapshotFiles"/>), which a restart reads instead of the chunks when it is there and intact.
/// </summary>
public sealed class LiteTopologyStore(LiteStore store, TimeProvider time) : ITopologyStore
{
    private readonly SnapshotFiles _snapshotFiles = new(Path.Combine(store.Folder, SnapshotFiles.FolderName));

    private const string FeaturesCollection = "topology_features";
    private const string AlternateCollection = "topology_features_b";
    private const string MetaCollection = "topology_meta";
    private const string MetaId = "current";

    public bool HasTopology => LiteErrors.Guard(() => store.Database.GetCollection(MetaCollection).Exists(Query.EQ("_id", MetaId)));

    /// <summary>The network in force before the last save or roll-back, when one is kept.</summary>
    public StoredNetworkInfo? Previous
    {
        get
        {
            var meta = Meta();
            return meta is not null && meta["previous"].IsString
                ? new StoredNetworkInfo(meta["previousSource"].AsString, meta["previousFeatures"].AsInt32, meta["previousSavedAt"].AsDateTime)
                : null;
        }
    }

    /// <summary>The network in force as stored, or null when none was saved.</summary>
    public StoredNetworkInfo? Current
    {
        get
        {
            var meta = Meta();
            return meta is null ? null : new StoredNetworkInfo(meta["source"].AsString, meta["features"].AsInt32, meta["savedAt"].AsDateTime);
        }
    }

    /// <summary>Replaces the stored network with <paramref name="features"/> atomically; the one it replaces is kept as <see cref="Previous"/>.</summary>
    public void Save(IReadOnlyList<TopologyFeature> features, string source) => LiteErrors.Guard(() => SaveCore(features, source));

    private void SaveCore(IReadOnlyList<TopologyFeature> features, string source)
    {
        var db = store.Database;

        // Made as LiteDB takes them, not all first: a million-meter network's 2.6 million documents held at once
        // were several GB of the first start's peak memory.
        IEnumerable<BsonDocument> Documents()
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
            for (int i = 0; i < features.Count; i++)
            {
                buffer.ResetWrittenCount();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    TopologyGeoJsonWriter.WriteFeature(writer, features[i]);
                }

                yield return new BsonDocument
                {
                    ["_id"] = i,
                    ["id"] = features[i].Id,
                    ["kind"] = features[i].Kind.ToWire(),
                    ["json"] = Encoding.UTF8.GetString(buffer.WrittenSpan),
                };
            }
        }

        var snapshot = NetworkSnapshot.Write(features);
        string identity = NetworkSnapshot.Identity(snapshot)!;
        var meta = Meta();
        string target = meta is null ? FeaturesCollection : Other(CollectionOf(meta));

        // Index creation is its own transaction in LiteDB: before ours, idempotent.
        db.GetCollection(target).EnsureIndex("id", unique: true);
        InTransaction(db, () =>
        {
            var col = db.GetCollection(target);
            col.DeleteAll();
            col.InsertBulk(Documents(), batchSize: 5000);
            LiteChunks.WriteInTransaction(db, SnapshotOf(target), SnapshotHeader(identity), snapshot);
            var next = new BsonDocument
            {
                ["_id"] = MetaId,
                ["collection"] = target,
                ["features"] = features.Count,
                ["source"] = source,
                ["savedAt"] = time.GetUtcNow().UtcDateTime,
            };
            if (meta is not null)
            {
                next["previous"] = CollectionOf(meta);
                next["previousFeatures"] = meta["features"];
                next["previousSource"] = meta["source"];
                next["previousSavedAt"] = meta["savedAt"];
            }

            db.GetCollection(MetaCollection).Upsert(next);
        });
        db.Checkpoint();
        _snapshotFiles.Write(identity, snapshot);
        _snapshotFiles.KeepOnly(identity, meta is null ? null : SnapshotIdentity(CollectionOf(meta)));
    }

    /// <summary>
    /// Puts the previous network back in force (the one rolled back from becomes the previous one);
    /// false when there is none.
    /// </summary>
    public bool RollBack() => LiteErrors.Guard(RollBackCore);

    private bool RollBackCore()
    {
        var db = store.Database;
        var meta = Meta();
        if (meta is null || !meta["previous"].IsString)
        {
            return false;
        }

        InTransaction(db, () => db.GetCollection(MetaCollection).Upsert(new BsonDocument
        {
            ["_id"] = MetaId,
            ["collection"] = meta["previous"],
            ["features"] = meta["previousFeatures"],
            ["source"] = meta["previousSource"],
            ["savedAt"] = meta["previousSavedAt"],
            ["previous"] = CollectionOf(meta),
            ["previousFeatures"] = meta["features"],
            ["previousSource"] = meta["source"],
            ["previousSavedAt"] = meta["savedAt"],
        }));
        db.Checkpoint();
        return true;
    }

    /// <summary>The stored network, or null when none was saved; invalid stored data reports its findings.</summary>
    public Task<TopologyImport?> LoadAsync(CancellationToken cancellationToken = default) =>
        Meta() is { } meta ? LoadAsync(CollectionOf(meta), cancellationToken) : Task.FromResult<TopologyImport?>(null);

    /// <summary>
    /// The network in force from its snapshot; when that is missing (stores written before snapshots), of another
    /// format or damaged, from the stored GeoJSON, writing the snapshot again when that is valid.
    /// </summary>
    public async Task<StoredNetwork?> LoadNetworkAsync(CancellationToken cancellationToken = default)
    {
        if (Meta() is not { } meta)
        {
            return null;
        }

        string collection = CollectionOf(meta);
        string problem;
        try
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            string? identity = SnapshotIdentity(collection);

            // The file copy first (one read of a file the page cache usually holds, against a megabyte-chunked LiteDB
            // collection: 2–3 s of a million-meter restart); the stored chunks when it is missing, damaged or not the one
            // this collection names, and the file is written again from them.
            if (identity is not null && _snapshotFiles.TryRead(identity) is { } cached)
            {
                try
                {
                    var readFile = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                    var fromFile = NetworkSnapshot.ReadNetwork(cached);
                    return new StoredNetwork(fromFile, null, null)
                    {
                        ReadTime = readFile,
                        BuildTime = System.Diagnostics.Stopwatch.GetElapsedTime(started) - readFile,
                        SnapshotFile = _snapshotFiles.PathOf(identity),
                    };
                }
                catch (InvalidDataException)
                {
                    _snapshotFiles.Delete(identity); // the stored copy decides
                    started = System.Diagnostics.Stopwatch.GetTimestamp();
                }
            }

            if (LiteErrors.Guard(() => LiteChunks.Read(store.Database, SnapshotOf(collection), "network snapshot")) is var (_, blob))
            {
                var read = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                var network = NetworkSnapshot.ReadNetwork(blob);
                var decoded = System.Diagnostics.Stopwatch.GetElapsedTime(started) - read;
                string stored = NetworkSnapshot.Identity(blob)!;
                if (identity != stored)
                {
                    LiteErrors.Guard(() => NameSnapshot(collection, stored)); // written before snapshots were named
                }

                _snapshotFiles.Write(stored, blob);
                return new StoredNetwork(network, null, null) { ReadTime = read, BuildTime = decoded };
            }

            problem = "no network snapshot stored";
        }
        catch (InvalidDataException ex)
        {
            problem = ex.Message;
        }

        var import = await LoadAsync(collection, cancellationToken).ConfigureAwait(false);
        if (import is null || !import.IsValid)
        {
            return new StoredNetwork(null, import, problem);
        }

        var snapshot = NetworkSnapshot.Write(import.Features);
        string rebuilt = NetworkSnapshot.Identity(snapshot)!;
        LiteErrors.Guard(() =>
        {
            if (CollectionOf(Meta()!) == collection)
            {
                LiteChunks.Write(store.Database, SnapshotOf(collection), SnapshotHeader(rebuilt), snapshot);
                store.Database.Checkpoint();
                _snapshotFiles.Write(rebuilt, snapshot);
            }
        });
        return new StoredNetwork(NetworkTopology.Build(import.Features, keepExtraProperties: false), import, problem);
    }

    /// <summary>The previous network (<see cref="Previous"/>), or null when none is kept.</summary>
    public Task<TopologyImport?> LoadPreviousAsync(CancellationToken cancellationToken = default) =>
        Meta() is { } meta && meta["previous"].IsString ? LoadAsync(meta["previous"].AsString, cancellationToken) : Task.FromResult<TopologyImport?>(null);

    private async Task<TopologyImport?> LoadAsync(string collection, CancellationToken cancellationToken)
    {
        using var ms = new MemoryStream();
        ms.Write("{\"type\":\"FeatureCollection\",\"features\":["u8);
        bool first = true;
        foreach (var doc in store.Database.GetCollection(collection).Query().OrderBy("_id").ToEnumerable())
        {
            if (!first)
            {
                ms.WriteByte((byte)',');
            }

            first = false;
            ms.Write(Encoding.UTF8.GetBytes(doc["json"].AsString));
        }

        ms.Write("]}"u8);
        ms.Position = 0;
        return await TopologyGeoJsonReader.ReadAsync(ms, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every stored feature of the network in force as (id, kind, GeoJSON text), in file order: what an
    /// import is compared with. Stores written before the kind was kept have it read from the text.
    /// </summary>
    public IEnumerable<(string Id, ElementKind Kind, string Json)> StoredFeatures()
    {
        if (Meta() is not { } meta)
        {
            yield break;
        }

        foreach (var doc in store.Database.GetCollection(CollectionOf(meta)).Query().OrderBy("_id").ToEnumerable())
        {
            string json = doc["json"].AsString;
            string? kind = doc["kind"].IsString ? doc["kind"].AsString : KindIn(json);
            _ = ElementKindNames.TryParse(kind, out ElementKind k); // stored features passed validation: the kind is known
            yield return (doc["id"].AsString, k, json);
        }
    }

    /// <summary>
    /// The stored GeoJSON of one feature, extras included: the snapshot in memory is a lean
    /// index, the store keeps everything else.
    /// </summary>
    public string? FeatureJson(string id) =>
        Meta() is { } meta ? store.Database.GetCollection(CollectionOf(meta)).FindOne(Query.EQ("id", id))?["json"]?.AsString : null;

    public string? StoredSource() => Meta()?["source"]?.AsString;

    private BsonDocument? Meta() => LiteErrors.Guard(() => store.Database.GetCollection(MetaCollection).FindById(MetaId));

    /// <summary>Stores written before the collections took turns have no pointer: the first one.</summary>
    private static string CollectionOf(BsonDocument meta) => meta["collection"].IsString ? meta["collection"].AsString : FeaturesCollection;

    private static string SnapshotOf(string collection) => collection + "_snapshot";

    private static BsonDocument SnapshotHeader(string identity) => new() { ["format"] = NetworkSnapshot.Version, ["sha256"] = identity };

    /// <summary>The identity of the snapshot stored for <paramref name="collection"/> (its header document), null when none is named.</summary>
    private string? SnapshotIdentity(string collection) =>
        LiteErrors.Guard(() => store.Database.GetCollection(SnapshotOf(collection)).FindById(0)) is { } header && header["sha256"].IsString
            ? header["sha256"].AsString
            : null;

    private void NameSnapshot(string collection, string identity)
    {
        var chunks = store.Database.GetCollection(SnapshotOf(collection));
        if (chunks.FindById(0) is { } header)
        {
            header["sha256"] = identity;
            chunks.Update(header);
        }
    }

    private static string Other(string collection) => collection == FeaturesCollection ? AlternateCollection : FeaturesCollection;

    private static string? KindIn(string featureJson)
    {
        using var doc = JsonDocument.Parse(featureJson);
        return doc.RootElement.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
    }

    private static void InTransaction(LiteDatabase db, Action work) => LiteEventStore.InTransaction(db, work);
}
