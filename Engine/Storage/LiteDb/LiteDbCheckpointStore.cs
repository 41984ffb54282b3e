using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// <see cref="ICheckpointStore"/> in LiteDB collection <c>correlationCheckpoint</c> (in the one database file, so a
/// backup of the database holds it): a header document (<c>_id</c> 0) and the state in chunks of at most
/// <see cref="LiteChunks.ChunkBytes"/> (<c>_id</c> 1…n; a LiteDB document is limited in size, a state is not), written in one
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

    public string Location => $"{store.FilePath}, collection {CollectionName}";

    private ILiteCollection<BsonDocument> Collection => store.Database.GetCollection(CollectionName);

    public void Save(CorrelationCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var header = new BsonDocument
        {
            ["format"] = Format,
            ["takenAt"] = checkpoint.TakenAt.UtcTicks,
            ["lastTaken"] = checkpoint.LastTaken,
            ["lastActionId"] = checkpoint.LastActionId,
            ["eventsTaken"] = checkpoint.EventsTaken,
        };
        LiteErrors.Guard(() =>
        {
            LiteChunks.Write(store.Database, CollectionName, header, checkpoint.State);
            store.Database.Checkpoint(); // on disk when this returns (see remarks)
        });
    }

    public CorrelationCheckpoint? Load()
    {
        if (LiteErrors.Guard(() => LiteChunks.Read(store.Database, CollectionName, "checkpoint")) is not var (header, state))
        {
            return null;
        }

        try
        {
            if (header["format"].AsInt32 != Format)
            {
                throw new InvalidDataException($"checkpoint format {header["format"]}, this version reads format {Format}");
            }

            return new CorrelationCheckpoint(new DateTimeOffset(header["takenAt"].AsInt64, TimeSpan.Zero), state,
                header["lastTaken"].AsBinary ?? [], header["lastActionId"].AsInt32, header["eventsTaken"].AsInt64);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or NullReferenceException or ArgumentException)
        {
            throw new InvalidDataException("checkpoint header is unreadable: " + ex.Message, ex);
        }
    }

    public void Delete() => LiteErrors.Guard(() => Collection.DeleteAll());
}
