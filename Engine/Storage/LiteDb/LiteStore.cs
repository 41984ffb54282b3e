using LiteDB;
using LiteDB.Engine;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// The embedded LiteDB database, one file under <c>Storage:Path</c>, shared by every store of
/// the process. LiteDB serialises writers internally; readers run concurrently. A disk error (full
/// disk) closes LiteDB's engine; the next call reopens it (<see cref="ReopeningEngine"/>), so writes
/// work again by themselves once space returns.
/// </summary>
public sealed class LiteStore : IStorageEngine, IDisposable
{
    public const string FileName = "opsconsole.db";

    public LiteStore(IOptions<StorageOptions> options)
        : this(OptionPaths.Resolve(options.Value.Path))
    {
    }

    public LiteStore(string folder)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows())
        {
            // Outage records and meter identities are the utility's data: owner only.
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        FilePath = Path.Combine(folder, FileName);
        _engine = new ReopeningEngine(() => new LiteEngine(new EngineSettings { Filename = FilePath }));
        Database = new LiteDatabase(_engine);
    }

    private readonly ReopeningEngine _engine;

    /// <summary>The disk error that closed the database engine (e.g. no space left on device); null while it works.</summary>
    public Exception? Fault => _engine.Fault;

    /// <summary>Reopens the database if a disk error closed it (as every call does); true when it answers again.</summary>
    public bool TryRecover() => _engine.TryRecover();

    public string Folder { get; }

    public string FilePath { get; }

    public string Location => FilePath;

    /// <summary>The database file and its log file (<c>-log</c>: commits not yet checkpointed into the file).</summary>
    public long SizeBytes()
    {
        long size = 0;
        foreach (string file in new[] { FilePath, Path.Combine(Folder, Path.GetFileNameWithoutExtension(FileName) + "-log" + Path.GetExtension(FileName)) })
        {
            var info = new FileInfo(file);
            if (info.Exists)
            {
                size += info.Length;
            }
        }

        return size;
    }

    /// <summary>Writes committed pages from the log file into the database file (what a size measurement wants first).</summary>
    public void Checkpoint() => LiteErrors.Guard(() => Database.Checkpoint());

    public LiteDatabase Database { get; }

    /// <summary>True when the database answers a read.</summary>
    public bool IsHealthy()
    {
        try
        {
            _ = Database.GetCollectionNames().Any();
            return true;
        }
        catch (LiteException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        catch (IOException)
        {
            return false; // a disk error closed the engine; the next call reopens it
        }
    }

    public void Dispose() => Database.Dispose();
}
