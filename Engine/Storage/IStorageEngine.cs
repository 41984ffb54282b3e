namespace OpsConsole.Engine.Storage;

/// <summary>The database under every store, as health checks and start-up see it (whatever the backend).</summary>
public interface IStorageEngine
{
    /// <summary>The data folder (<c>Storage:Path</c>): where files beside the database go.</summary>
    string Folder { get; }

    /// <summary>Where the database is, for messages: a file path, or a server and database name.</summary>
    string Location { get; }

    /// <summary>The error that stopped the database (e.g. no space left on device); null while it works.</summary>
    Exception? Fault { get; }

    /// <summary>Tries to make the database answer again after <see cref="Fault"/>; true when it answers.</summary>
    bool TryRecover();

    /// <summary>True when the database answers a read.</summary>
    bool IsHealthy();

    /// <summary>Bytes the database takes on disk (what the storage benchmark reports).</summary>
    long SizeBytes();
}
