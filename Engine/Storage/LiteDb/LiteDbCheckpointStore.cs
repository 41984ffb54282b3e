using LiteDB;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// <see cref="ICheckpointStore"/> in LiteDB collection <c>correlationCheckpoint</c> (in the one database file, so a
/// backup of the database holds it): a header document (<c>_id</c> 0) and the state in chunks of at most
/// <see cref="ChunkBytes"/> (<c>_id</c> 1…n; a LiteDB document is limited in size, a state is not), written in one
/// transaction and checked by length and CRC-32 when read back.
/// </summary>
/// <remarks>
/// Durability: LiteDB returns from a commit before its log is on disk, so <see cref="Save"/> ends with a LiteDB
/// checkpoint, which waits for the log writer (it fsyncs) and copies the log into the data file. Everything committed
/// before (the event store's batches too) is then on disk: the journal segments they cover may go.
/// </remarks>
public sealed class LiteDbCheckpointStore(LiteStore store) : ICheckpointStore
{
    public const string CollectionName = "correlationCheckpoint";

    /// <summary>The layout of the header and chunks; another value is refused as unreadable.</summary>
    public const int Format = 1;

    public const int ChunkBytes = 1 << 20;

    public string Location => $"{store.FilePath}, collection {CollectionName}";

    private ILiteCollection<BsonDocument> Collection => store.Database.GetCollection(CollectionName);

    public void Save(CorrelationCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var state = checkpoint.State;
        var docs = new List<BsonDocument>
        {
            new()
            {
                ["_id"] = 0,
                ["format"] = Format,
                ["takenAt"] = checkpoint.TakenAt.UtcTicks,
                ["lastTaken"] = checkpoint.LastTaken,
                ["lastActionId"] = checkpoint.LastActionId,
                ["eventsTaken"] = checkpoint.EventsTaken,
                ["length"] = state.Length,
                ["crc"] = (long)Crc32.Compute(state),
                ["chunks"] = (state.Length + ChunkBytes - 1) / ChunkBytes,
            },
        };
        for (int at = 0, id = 1; at < state.Length; at += ChunkBytes, id++)
        {
            docs.Add(new BsonDocument { ["_id"] = id, ["data"] = state.AsSpan(at, Math.Min(ChunkBytes, state.Length - at)).ToArray() });
        }

        var db = store.Database;
        db.BeginTrans();
        try
        {
            Collection.DeleteAll();
            Collection.InsertBulk(docs);
            db.Commit();
        }
        catch
        {
            db.Rollback();
            throw;
        }

        db.Checkpoint(); // on disk when this returns (see remarks)
    }

    public CorrelationCheckpoint? Load()
    {
        var header = Collection.FindById(0);
        if (header is null)
        {
            return null;
        }

        try
        {
            if (header["format"].AsInt32 != Format)
            {
                throw new InvalidDataException($"checkpoint format {header["format"]}, this version reads format {Format}");
            }

            int length = header["length"].AsInt32;
            int chunks = header["chunks"].AsInt32;
            if (length < 0 || chunks != (length + ChunkBytes - 1) / ChunkBytes)
            {
                throw new InvalidDataException($"checkpoint header says {length} bytes in {chunks} chunks");
            }

            var state = new byte[length];
            for (int id = 1, at = 0; id <= chunks; id++)
            {
                var data = Collection.FindById(id)?["data"].AsBinary ?? throw new InvalidDataException($"checkpoint chunk {id} of {chunks} is missing");
                int expected = Math.Min(ChunkBytes, length - at);
                if (data.Length != expected)
                {
                    throw new InvalidDataException($"checkpoint chunk {id} holds {data.Length} bytes, not {expected}");
                }

                data.CopyTo(state, at);
                at += data.Length;
            }

            if ((uint)header["crc"].AsInt64 != Crc32.Compute(state))
            {
                throw new InvalidDataException("checkpoint state is damaged (CRC mismatch)");
            }

            return new CorrelationCheckpoint(new DateTimeOffset(header["takenAt"].AsInt64, TimeSpan.Zero), state,
                header["lastTaken"].AsBinary ?? [], header["lastActionId"].AsInt32, header["eventsTaken"].AsInt64);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or NullReferenceException or ArgumentException)
        {
            throw new InvalidDataException("checkpoint header is unreadable: " + ex.Message, ex);
        }
    }

    public void Delete() => Collection.DeleteAll();
}
