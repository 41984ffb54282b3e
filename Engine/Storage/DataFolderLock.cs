using OpsConsole.Engine.Configuration;

namespace OpsConsole.Engine.Storage;

/// <summary>
/// The claim of one process on a <c>Storage:Path</c> folder: the file <c>opsconsole.lock</c> in it, held open
/// exclusively (an advisory <c>flock(2)</c> on Linux) for as long as the process uses the folder. The kernel
/// drops it when the process ends, however it ends (kill -9 included), so a stale lock cannot exist.
/// </summary>
/// <remarks>
/// The server takes it before it opens the database or the journal (two writers on one LiteDB file corrupt it);
/// <c>backup</c> and <c>restore</c> use it to tell a running server's folder from a stopped one: a backup of a
/// running server is taken by the server itself (<c>BackupService</c>), a restore never writes into a folder a
/// process holds.
/// </remarks>
public sealed class DataFolderLock : IDisposable
{
    public const string FileName = "opsconsole.lock";

    private readonly FileStream _file;

    private DataFolderLock(string folder, FileStream file)
    {
        Folder = folder;
        _file = file;
    }

    /// <summary>The folder locked (full path).</summary>
    public string Folder { get; }

    /// <summary>Takes the lock of <paramref name="folder"/> (created owner-only when missing).</summary>
    /// <exception cref="StartupException">Another process holds it: a server is running on the folder.</exception>
    public static DataFolderLock Acquire(string folder) =>
        TryAcquire(folder) ?? throw new StartupException(
            $"{StorageOptions.Section}:Path = '{folder}': the folder is in use by another OpsConsole process (a running server; {Path.Combine(folder, FileName)} is locked). " +
            "Stop it first, or give this process a folder of its own.");

    /// <summary>Takes the lock of <paramref name="folder"/>, or returns null when another process holds it.</summary>
    public static DataFolderLock? TryAcquire(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None, // flock(LOCK_EX | LOCK_NB) on Unix
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            return new DataFolderLock(folder, new FileStream(Path.Combine(folder, FileName), options));
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, FileName)))
        {
            return null; // held by another process
        }
    }

    /// <summary>True when a process holds the lock of <paramref name="folder"/> (a server runs on it); false for a missing folder.</summary>
    public static bool IsHeld(string folder)
    {
        string file = Path.Combine(Path.GetFullPath(folder), FileName);
        if (!File.Exists(file))
        {
            return false;
        }

        try
        {
            using var probe = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _file.Dispose();
}
