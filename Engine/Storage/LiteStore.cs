using LiteDB;
using LiteDB.Engine;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Engine.Storage;

/// <summary>
/// The embedded LiteDB database, one file under <c>Storage:Path</c>, shared by every store of
/// the process. LiteDB serialises writers internally; readers run concurrently. A disk error (full
/// disk) closes LiteDB's engine; the next call reopens it (<see cref="ReopeningEngine"/>), so writes
/// work again by themselves once space returns.
/// </summary>
public sealed class LiteStore : IDisposable
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
