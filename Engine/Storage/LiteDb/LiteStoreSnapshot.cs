using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// A consistent copy of the LiteDB file while the process keeps writing, for a backup.
/// </summary>
/// <remarks>
/// <para>LiteDB 5 writes every commit to its log file (<c>opsconsole-log.db</c>, synchronously, before the commit
/// returns); only a checkpoint writes the data file, copying the committed pages of the log into it, under LiteDB's
/// exclusive lock (no transaction open), then empties the log (LiteDB 5.0.21: <c>WalIndexService.Checkpoint</c>,
/// <c>DiskService.WriteDataDisk</c> with an fsync). So the data file alone, just after a checkpoint, is the whole
/// database as of that moment, and stays so until the next checkpoint.</para>
/// <para><see cref="CopyTo"/> therefore (1) runs a checkpoint — it waits for the transactions open at that moment, so
/// every commit that returned before the call is in the data file — then (2) opens a transaction of its own and holds
/// it while it copies the data file: a checkpoint needs the exclusive lock, so none (automatic or asked for) can run
/// while the copy is read. Writes go on meanwhile, into the log, which is not copied. The copy opens as a database
/// holding every commit up to the last checkpoint, one at or after (1): a state the database really had.</para>
/// <para>Cost to the running server: LiteDB's automatic checkpoint is skipped while the copy is read (its log grows
/// meanwhile and is checkpointed at the next commit after). An explicit checkpoint asked for meanwhile (a topology
/// import's) waits for the copy, and while it waits LiteDB admits no new transaction: writes pause until the copy ends
/// (at most LiteDB's lock timeout, 1 minute, after which that checkpoint fails and the import with it).</para>
/// </remarks>
public static class LiteStoreSnapshot
{
    /// <summary>
    /// Copies the database, consistent (see above), to <paramref name="destination"/>; <paramref name="whileHeld"/> runs
    /// after the checkpoint, with checkpoints held off, before the copy (a backup seals the journal there). Run it on a
    /// thread with no LiteDB transaction of its own (LiteDB ties transactions to threads).
    /// </summary>
    public static void CopyTo(this LiteStore store, Stream destination, Action? whileHeld = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(destination);
        var db = store.Database;
        db.Checkpoint();
        if (!db.BeginTrans())
        {
            throw new InvalidOperationException("this thread has a LiteDB transaction open already; copy the database from a thread of its own");
        }

        try
        {
            whileHeld?.Invoke();
            using var source = new FileStream(store.FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
            source.CopyTo(destination, 1 << 16);
        }
        finally
        {
            db.Rollback(); // nothing was written: this only ends the transaction
        }
    }

    /// <summary>
    /// Opens a copied database file read-only and counts the documents of every collection (which reads every page
    /// of their primary index); throws when LiteDB cannot read it.
    /// </summary>
    /// <exception cref="InvalidDataException">LiteDB cannot read the file.</exception>
    public static IReadOnlyDictionary<string, long> Verify(string file)
    {
        try
        {
            using var db = new LiteDatabase(new ConnectionString { Filename = file, ReadOnly = true, Connection = ConnectionType.Direct });
            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (string name in db.GetCollectionNames())
            {
                counts[name] = db.GetCollection(name).LongCount();
            }

            return counts;
        }
        catch (LiteException ex)
        {
            throw new InvalidDataException($"LiteDB cannot read the database copy {file}: {ex.Message}", ex);
        }
    }

    /// <summary>The LiteDB version whose file format the database has.</summary>
    public static string LiteDbVersion => typeof(LiteDatabase).Assembly.GetName().Version?.ToString() ?? "unknown";
}
