using LiteDB;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// A blob of any size in one LiteDB collection of its own, replaced as a whole: a header document (<c>_id</c> 0) with
/// the caller's fields plus length and CRC-32, then chunks of at most <see cref="ChunkBytes"/> (<c>_id</c> 1…n; a LiteDB
/// document is limited in size). Written in one transaction; <see cref="Read"/> checks length and CRC.
/// </summary>
internal static class LiteChunks
{
    public const int ChunkBytes = 1 << 20;

    public static void Write(LiteDatabase db, string collectionName, BsonDocument header, byte[] blob)
    {
        var docs = Documents(header, blob);
        LiteEventStore.InTransaction(db, () => Replace(db, collectionName, docs));
    }

    /// <summary>Replaces the blob inside a transaction the caller holds (so it commits with the caller's other writes).</summary>
    public static void WriteInTransaction(LiteDatabase db, string collectionName, BsonDocument header, byte[] blob) =>
        Replace(db, collectionName, Documents(header, blob));

    private static void Replace(LiteDatabase db, string collectionName, List<BsonDocument> docs)
    {
        var collection = db.GetCollection(collectionName);
        collection.DeleteAll();
        collection.InsertBulk(docs);
    }

    private static List<BsonDocument> Documents(BsonDocument header, byte[] blob)
    {
        header["_id"] = 0;
        header["length"] = blob.Length;
        header["crc"] = (long)Crc32.Compute(blob);
        header["chunks"] = (blob.Length + ChunkBytes - 1) / ChunkBytes;
        var docs = new List<BsonDocument> { header };
        for (int at = 0, id = 1; at < blob.Length; at += ChunkBytes, id++)
        {
            docs.Add(new BsonDocument { ["_id"] = id, ["data"] = blob.AsSpan(at, Math.Min(ChunkBytes, blob.Length - at)).ToArray() });
        }

        return docs;
    }

    /// <summary>The header and the blob; null when none is stored; <see cref="InvalidDataException"/> saying why when damaged.</summary>
    public static (BsonDocument Header, byte[] Blob)? Read(LiteDatabase db, string collectionName, string what)
    {
        var collection = db.GetCollection(collectionName);
        var header = collection.FindById(0);
        if (header is null)
        {
            return null;
        }

        try
        {
            int length = header["length"].AsInt32;
            int chunks = header["chunks"].AsInt32;
            if (length < 0 || chunks != (length + ChunkBytes - 1) / ChunkBytes)
            {
                throw new InvalidDataException($"{what} header says {length} bytes in {chunks} chunks");
            }

            var blob = new byte[length];
            for (int id = 1, at = 0; id <= chunks; id++)
            {
                var data = collection.FindById(id)?["data"].AsBinary ?? throw new InvalidDataException($"{what} chunk {id} of {chunks} is missing");
                int expected = Math.Min(ChunkBytes, length - at);
                if (data.Length != expected)
                {
                    throw new InvalidDataException($"{what} chunk {id} holds {data.Length} bytes, not {expected}");
                }

                data.CopyTo(blob, at);
                at += data.Length;
            }

            if ((uint)header["crc"].AsInt64 != Crc32.Compute(blob))
            {
                throw new InvalidDataException($"{what} is damaged (CRC mismatch)");
            }

            return (header, blob);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or NullReferenceException or ArgumentException)
        {
            throw new InvalidDataException($"{what} header is unreadable: " + ex.Message, ex);
        }
    }
}
