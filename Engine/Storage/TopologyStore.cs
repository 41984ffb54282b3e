using System.Text;
using System.Text.Json;
using LiteDB;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Storage;

/// <summary>
/// Persists the network as one document per feature (its GeoJSON text), replaced as a whole in
/// one transaction: a reader sees the old network or the new one, never a mix. Loading goes
/// back through the same validating reader as a file import.
/// </summary>
public sealed class TopologyStore(LiteStore store, TimeProvider time)
{
    private const string FeaturesCollection = "topology_features";
    private const string MetaCollection = "topology_meta";
    private const string MetaId = "current";

    public bool HasTopology => store.Database.GetCollection(MetaCollection).Exists(Query.EQ("_id", MetaId));

    /// <summary>Replaces the stored network with <paramref name="features"/> atomically.</summary>
    public void Save(IReadOnlyList<TopologyFeature> features, string source)
    {
        var db = store.Database;
        var docs = new List<BsonDocument>(features.Count);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        for (int i = 0; i < features.Count; i++)
        {
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                TopologyGeoJsonWriter.WriteFeature(writer, features[i]);
            }

            docs.Add(new BsonDocument
            {
                ["_id"] = i,
                ["id"] = features[i].Id,
                ["json"] = Encoding.UTF8.GetString(buffer.WrittenSpan),
            });
        }

        // Index creation is its own transaction in LiteDB: before ours, idempotent.
        db.GetCollection(FeaturesCollection).EnsureIndex("id", unique: true);
        if (!db.BeginTrans())
        {
            throw new InvalidOperationException("a topology save is already in progress on this thread");
        }

        try
        {
            var col = db.GetCollection(FeaturesCollection);
            col.DeleteAll();
            col.InsertBulk(docs, batchSize: 5000);
            db.GetCollection(MetaCollection).Upsert(new BsonDocument
            {
                ["_id"] = MetaId,
                ["features"] = features.Count,
                ["source"] = source,
                ["savedAt"] = time.GetUtcNow().UtcDateTime,
            });
            db.Commit();
        }
        catch
        {
            db.Rollback();
            throw;
        }

        db.Checkpoint();
    }

    /// <summary>The stored network, or null when none was saved; invalid stored data reports its findings.</summary>
    public async Task<TopologyImport?> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (!HasTopology)
        {
            return null;
        }

        using var ms = new MemoryStream();
        ms.Write("{\"type\":\"FeatureCollection\",\"features\":["u8);
        bool first = true;
        foreach (var doc in store.Database.GetCollection(FeaturesCollection).Query().OrderBy("_id").ToEnumerable())
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
    /// The stored GeoJSON of one feature, extras included: the snapshot in memory is a lean
    /// index, the store keeps everything else.
    /// </summary>
    public string? FeatureJson(string id) =>
        store.Database.GetCollection(FeaturesCollection).FindOne(Query.EQ("id", id))?["json"]?.AsString;

    public string? StoredSource() => store.Database.GetCollection(MetaCollection).FindById(MetaId)?["source"]?.AsString;
}
