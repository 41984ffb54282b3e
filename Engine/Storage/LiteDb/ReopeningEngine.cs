using System.Reflection;
using LiteDB;
using LiteDB.Engine;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// The LiteDB engine under <see cref="LiteStore.Database"/>, reopened after a disk error. LiteDB 5 closes its
/// engine for good on the first <see cref="IOException"/> (a full disk, say) and from then on throws that
/// exception for every call, reads included, until the process restarts. This wrapper notes the fault and, on
/// the next call, opens a fresh engine on the same file (LiteDB's own recovery puts the file right), so every
/// store recovers by itself when space returns. Committed data is never touched: a failed commit is simply
/// not there.
/// </summary>
internal sealed class ReopeningEngine(Func<LiteEngine> open) : ILiteEngine
{
    private readonly Lock _gate = new();
    private LiteEngine _engine = open();
    private Exception? _fault;
    private bool _disposed;

    /// <summary>Why the engine was closed (e.g. no space left on device); null while it works.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>Reopens the engine if a disk error closed it; returns whether it now answers a read.</summary>
    public bool TryRecover()
    {
        try
        {
            _ = Run(e => e.Pragma(Pragmas.USER_VERSION));
            return true;
        }
        catch (Exception ex) when (ex is IOException or LiteException or ObjectDisposedException)
        {
            return false;
        }
    }

    private LiteEngine Current()
    {
        if (Volatile.Read(ref _fault) is null)
        {
            return _engine;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fault is null)
            {
                return _engine;
            }

            Retire(_engine);

            try
            {
                _engine = open();
                Volatile.Write(ref _fault, null);
            }
            catch (IOException ex)
            {
                Volatile.Write(ref _fault, ex);
                throw;
            }

            return _engine;
        }
    }

    /// <summary>
    /// Disposes an engine a disk error closed. LiteDB 5.0.x leaves the transaction that failed registered and
    /// undisposed; its finalizer later runs the rollback on the GC's finalizer thread against the closed cache,
    /// throws ("discarded page must be writable", LiteDB issues #2574, #2828) and so terminates the process, long
    /// after the disk error. Finalizing those transactions is pointless (the engine and its files are gone), so
    /// it is suppressed here; the fields are LiteDB 5.0.21's (pinned in Directory.Packages.props) and are simply
    /// not found in another version.
    /// </summary>
    private static void Retire(LiteEngine engine)
    {
        SuppressTransactionFinalizers(engine);
        try
        {
            engine.Dispose();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A closed engine's dispose may fail as well (LiteDB ENSURE); nothing of it is used again.
        }

        SuppressTransactionFinalizers(engine);
    }

    private static void SuppressTransactionFinalizers(LiteEngine engine)
    {
        const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;
        object? monitor = typeof(LiteEngine).GetField("_monitor", Private)?.GetValue(engine);
        if (monitor?.GetType().GetField("_transactions", Private)?.GetValue(monitor) is not System.Collections.IDictionary transactions)
        {
            return;
        }

        lock (transactions)
        {
            foreach (object? transaction in transactions.Values)
            {
                if (transaction is not null)
                {
#pragma warning disable CA1816 // on purpose: LiteDB's object, whose finalizer would crash the process (see Retire)
                    GC.SuppressFinalize(transaction);
#pragma warning restore CA1816
                }
            }
        }
    }

    private T Run<T>(Func<LiteEngine, T> call)
    {
        var engine = Current();
        try
        {
            return call(engine);
        }
        catch (Exception ex) when (ex is IOException || ex.InnerException is IOException)
        {
            lock (_gate)
            {
                SuppressTransactionFinalizers(engine); // at once: the GC may get there before the reopen
                if (ReferenceEquals(engine, _engine))
                {
                    Volatile.Write(ref _fault, ex);
                }
            }

            throw;
        }
    }

    public int Checkpoint() => Run(e => e.Checkpoint());

    public long Rebuild(RebuildOptions options) => Run(e => e.Rebuild(options));

    public bool BeginTrans() => Run(e => e.BeginTrans());

    public bool Commit() => Run(e => e.Commit());

    public bool Rollback() => Run(e => e.Rollback());

    public IBsonDataReader Query(string collection, Query query) => Run(e => e.Query(collection, query));

    public int Insert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => Run(e => e.Insert(collection, docs, autoId));

    public int Update(string collection, IEnumerable<BsonDocument> docs) => Run(e => e.Update(collection, docs));

    public int UpdateMany(string collection, BsonExpression transform, BsonExpression predicate) => Run(e => e.UpdateMany(collection, transform, predicate));

    public int Upsert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => Run(e => e.Upsert(collection, docs, autoId));

    public int Delete(string collection, IEnumerable<BsonValue> ids) => Run(e => e.Delete(collection, ids));

    public int DeleteMany(string collection, BsonExpression predicate) => Run(e => e.DeleteMany(collection, predicate));

    public bool DropCollection(string name) => Run(e => e.DropCollection(name));

    public bool RenameCollection(string name, string newName) => Run(e => e.RenameCollection(name, newName));

    public bool EnsureIndex(string collection, string name, BsonExpression expression, bool unique) => Run(e => e.EnsureIndex(collection, name, expression, unique));

    public bool DropIndex(string collection, string name) => Run(e => e.DropIndex(collection, name));

    public BsonValue Pragma(string name) => Run(e => e.Pragma(name));

    public bool Pragma(string name, BsonValue value) => Run(e => e.Pragma(name, value));

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            if (_fault is null)
            {
                _engine.Dispose();
            }
            else
            {
                Retire(_engine);
            }
        }
    }
}
