using Microsoft.Extensions.Logging;

namespace OpsConsole.Engine.Security;

/// <summary>Why the master key is read from where it is.</summary>
public enum MasterKeySource
{
    /// <summary><c>Security:MasterKeyFile</c> names the file.</summary>
    Configured,

    /// <summary>Not configured: <c>&lt;Storage:Path&gt;/keys/master.key</c>, so a backup of the data folder holds it.</summary>
    StorageDefault,

    /// <summary>
    /// Not configured, and an install of an earlier version keeps its key at the former default
    /// <c>data/keys/master.key</c> (relative to the working directory), which is not the new default: it is kept,
    /// since a new key would lock every meter out.
    /// </summary>
    FormerDefault,
}

/// <summary>
/// The master key file in force (<see cref="MasterKeyFile"/>) and why: <c>Security:MasterKeyFile</c> when set;
/// otherwise <c>&lt;Storage:Path&gt;/keys/master.key</c>, unless the file of the former default
/// <c>data/keys/master.key</c> exists (an earlier install), which then stays in use. Logged once at start
/// (<see cref="Log"/>); the key's bytes never are.
/// </summary>
public sealed partial class MasterKeyLocation(string path, MasterKeySource source)
{
    /// <summary>The key file (full path).</summary>
    public string Path { get; } = path;

    public MasterKeySource Source { get; } = source;

    /// <summary>The default of versions before the key moved under <c>Storage:Path</c>, relative to the working directory.</summary>
    public const string FormerDefault = "data/keys/master.key";

    /// <summary>The key's place under a <c>Storage:Path</c> folder.</summary>
    public static string UnderStorage(string storageFolder) => System.IO.Path.Combine(storageFolder, "keys", "master.key");

    /// <summary>
    /// The file in force for <paramref name="configured"/> (<c>Security:MasterKeyFile</c>, empty when not set) and
    /// <paramref name="storagePath"/> (<c>Storage:Path</c>), relative paths taken from <paramref name="currentDirectory"/>.
    /// </summary>
    public static MasterKeyLocation Resolve(string? configured, string storagePath, string currentDirectory)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return new(System.IO.Path.GetFullPath(configured, currentDirectory), MasterKeySource.Configured);
        }

        string storageDefault = UnderStorage(System.IO.Path.GetFullPath(storagePath, currentDirectory));
        string former = System.IO.Path.GetFullPath(FormerDefault, currentDirectory);
        bool same = string.Equals(former, storageDefault, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        return !same && File.Exists(former)
            ? new(former, MasterKeySource.FormerDefault)
            : new(storageDefault, MasterKeySource.StorageDefault);
    }

    /// <summary>Why this file, in words for the log.</summary>
    public string Reason => Source switch
    {
        MasterKeySource.Configured => $"{MasterKeyFile.ConfigurationKey} names it",
        MasterKeySource.FormerDefault =>
            $"{MasterKeyFile.ConfigurationKey} is not set and an earlier install keeps its key at the former default {FormerDefault} " +
            "(relative to the working directory), so that file stays in use; it lies outside Storage:Path: move it to " +
            "<Storage:Path>/keys/master.key, or set " + MasterKeyFile.ConfigurationKey + " to it",
        _ => $"{MasterKeyFile.ConfigurationKey} is not set: the default under Storage:Path, included in its backups",
    };

    /// <summary>Logs which file is used and why (never the key).</summary>
    public void Log(ILogger logger)
    {
        if (Source == MasterKeySource.FormerDefault)
        {
            LogFormerDefault(logger, Path, Reason);
        }
        else
        {
            LogInUse(logger, Path, Reason);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Master key file {Path}: {Reason}")]
    private static partial void LogInUse(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Master key file {Path}: {Reason}")]
    private static partial void LogFormerDefault(ILogger logger, string path, string reason);
}
