using LiteDB;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Engine.Storage;

/// <summary>
/// The embedded LiteDB database, one file under <c>Storage:Path</c>, shared by every store of
/// the process. LiteDB serialises writers internally; readers run concurrently.
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
        Database = new LiteDatabase(new ConnectionString { Filename = FilePath, Connection = ConnectionType.Direct });
    }

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
    }

    public void Dispose() => Database.Dispose();
}
