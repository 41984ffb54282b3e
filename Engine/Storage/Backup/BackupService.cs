using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;

using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Engine.Storage.Backup;

/// <summary>
/// A consistent backup of a running server's <c>Storage:Path</c> — the database, the event journal, the master key
/// and the <c>keys/</c> folder (data-protection keys, the self-signed TLS certificate) — into a folder of its own,
/// while the server keeps ingesting. The one implementation behind both doors: <c>backup &lt;folder&gt;</c> on the
/// command line and <c>POST /api/admin/backup</c>. Authorisation and audit belong to the caller.
/// </summary>
/// <remarks>
/// <para><b>Consistency.</b> In this order: (1) every journal segment is opened (none can go while copied);
/// (2) LiteDB checkpoints and then holds off further checkpoints while its data file is copied
/// (<see cref="LiteStoreSnapshot"/>): the copy is the database as of one moment; (3) right after that checkpoint,
/// before the copy, the journal is sealed under its append lock (<see cref="JournalSnapshot"/>): each segment is
/// copied up to the length it had then, a prefix of whole, fsynced records. An event reaches the database only after
/// its journal append returned, so every event in the database copy is in the journal copy; the journal may hold
/// more (acknowledged between (2) and (3)), which the restored server's start puts into its database, as after any
/// crash. The backup's moment is the seal: every event acknowledged before it, and every operator action, user and
/// audit entry committed before the checkpoint, is in the backup.</para>
/// <para>Owner-only throughout: the folder 0700, every file 0600. <see cref="BackupManifest"/> is written last, with
/// each file's size and SHA-256; a failed backup removes what it wrote.</para>
/// </remarks>
public sealed partial class BackupService(LiteStore store, EventJournal journal, MasterKeyLocation masterKey, TimeProvider time, ILogger<BackupService> logger)
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnlyFile | UnixFileMode.UserExecute;

    private int _running; // 1 while a backup runs: one at a time

    /// <summary>The <c>Storage:Path</c> folder backed up (full path).</summary>
    public string StorageFolder { get; } = Path.GetFullPath(store.Folder);

    /// <summary>
    /// Backs up into <paramref name="target"/> (a folder that does not exist yet, or is empty, outside <c>Storage:Path</c>)
    /// and returns its manifest. One backup at a time.
    /// </summary>
    /// <exception cref="BackupException">Refused (target, a backup already running) or failed (nothing usable left there).</exception>
    public async Task<BackupManifest> CreateAsync(string target, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new BackupException("a backup is already running; start the next one when it has finished");
        }

        try
        {
            // LiteDB ties a transaction to its thread: the copy runs on a thread of its own, start to end.
            return await Task.Factory.StartNew(() => Create(target), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private BackupManifest Create(string target)
    {
        string root = Path.GetFullPath(target);
        if (IsWithin(root, StorageFolder) || IsWithin(StorageFolder, root))
        {
            throw new BackupException($"the backup folder {root} and Storage:Path {StorageFolder} overlap: a backup must survive the loss of the data folder, choose a folder outside it");
        }

        bool created = PrepareTarget(root);
        long started = time.GetTimestamp();
        var files = new List<BackupFile>();
        try
        {
            DateTimeOffset moment = default;
            using (var snapshot = journal.BeginSnapshot())
            {
                files.Add(WriteFile(root, LiteStore.FileName, destination => store.CopyTo(destination, () =>
                {
                    snapshot.Seal();
                    moment = time.GetUtcNow();
                })));
                foreach (var (name, _) in snapshot.Segments)
                {
                    files.Add(WriteFile(root, "journal/" + name, destination => snapshot.CopySegment(name, destination)));
                }
            }

            files.AddRange(CopyKeys(root));
            var collections = LiteStoreSnapshot.Verify(Path.Combine(root, LiteStore.FileName));
            var manifest = new BackupManifest
            {
                CreatedAt = moment,
                DurationMs = (long)time.GetElapsedTime(started).TotalMilliseconds,
                Version = VersionOf(typeof(BackupService).Assembly),
                LiteDbVersion = LiteStoreSnapshot.LiteDbVersion,
                Source = StorageFolder,
                MasterKeySource = masterKey.Path,
                Collections = collections,
                Files = files,
            };
            WriteManifest(root, manifest);
            long bytes = files.Sum(f => f.Bytes);
            LogCreated(logger, root, files.Count, bytes, manifest.DurationMs);
            return manifest;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or BackupException)
        {
            RemoveWhatWasWritten(root, created);
            LogFailed(logger, ex, root, ex.Message);
            throw ex as BackupException ?? new BackupException($"the backup into {root} failed ({ex.Message}); what it had written is removed", ex);
        }
    }

    /// <summary>The <c>keys/</c> folder (data protection, TLS) and the master key in force, stored as <c>keys/master.key</c>.</summary>
    private List<BackupFile> CopyKeys(string root)
    {
        var files = new List<BackupFile>();
        string masterPath = Path.GetFullPath(masterKey.Path);
        if (!File.Exists(masterPath))
        {
            throw new BackupException($"the master key file {masterPath} does not exist: without it no meter of a restored server could be read");
        }

        string keys = Path.Combine(StorageFolder, "keys");
        if (Directory.Exists(keys))
        {
            foreach (string file in Directory.EnumerateFiles(keys, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                string relative = Path.GetRelativePath(StorageFolder, file).Replace(Path.DirectorySeparatorChar, '/');
                bool temporary = Path.GetFileName(file).StartsWith('.'); // a key being written (renamed into place when whole)
                if (temporary || file == masterPath || relative == BackupRestore.MasterKeyPath)
                {
                    continue;
                }

                files.Add(WriteFile(root, relative, destination => CopyWhole(file, destination)));
            }
        }

        files.Add(WriteFile(root, BackupRestore.MasterKeyPath, destination => CopyWhole(masterPath, destination)));
        return files;
    }

    private static void CopyWhole(string file, Stream destination)
    {
        using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        source.CopyTo(destination);
    }

    /// <summary>Creates the target owner-only, or accepts an empty one; true when created here.</summary>
    private static bool PrepareTarget(string root)
    {
        if (File.Exists(root))
        {
            throw new BackupException($"the backup folder {root} is a file");
        }

        if (Directory.Exists(root))
        {
            if (Directory.EnumerateFileSystemEntries(root).Any())
            {
                throw new BackupException($"the backup folder {root} is not empty: a backup goes into a new or empty folder");
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(root, OwnerOnlyFolder);
            }

            return false;
        }

        try
        {
            CreateOwnerOnly(root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BackupException($"the backup folder {root} cannot be created ({ex.Message})", ex);
        }

        return true;
    }

    /// <summary>Writes one file of the backup (owner-only, fsynced) through a SHA-256.</summary>
    internal static BackupFile WriteFile(string root, string relative, Action<Stream> write)
    {
        string path = Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
        CreateOwnerOnly(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        using var file = new FileStream(path, options);
        using var sha = SHA256.Create();
        using (var hashing = new CryptoStream(file, sha, CryptoStreamMode.Write, leaveOpen: true))
        {
            write(hashing);
            hashing.FlushFinalBlock();
        }

        file.Flush(flushToDisk: true);
        return new BackupFile(relative, file.Length, Convert.ToHexStringLower(sha.Hash!));
    }

    private static void WriteManifest(string root, BackupManifest manifest)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, BackupManifest.Json);
        WriteFile(root, BackupManifest.FileName, destination => destination.Write(json));
        foreach (string folder in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Append(root))
        {
            DirectorySync.Flush(folder); // the names survive a power loss with the contents
        }
    }

    /// <summary>Creates <paramref name="folder"/> and its missing parents, each 0700.</summary>
    internal static void CreateOwnerOnly(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }

        var missing = new Stack<string>();
        for (string? level = folder; level is not null && !Directory.Exists(level); level = Path.GetDirectoryName(level))
        {
            missing.Push(level);
        }

        while (missing.TryPop(out var level))
        {
            Directory.CreateDirectory(level, OwnerOnlyFolder);
        }
    }

    /// <summary>Best effort: deletes <paramref name="root"/> when this run created it, else empties it (a failed backup or restore).</summary>
    internal static void RemoveWhatWasWritten(string root, bool created)
    {
        try
        {
            if (created)
            {
                Directory.Delete(root, recursive: true);
                return;
            }

            foreach (string entry in Directory.EnumerateFileSystemEntries(root))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: without a manifest a folder is not taken for a backup (restore refuses it), and a failed restore says so.
        }
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies under it.</summary>
    internal static bool IsWithin(string path, string folder)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string f = Path.TrimEndingDirectorySeparator(folder);
        string p = Path.TrimEndingDirectorySeparator(path);
        return p.Equals(f, comparison) || p.StartsWith(f + Path.DirectorySeparatorChar, comparison);
    }

    internal static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString() ?? "unknown";

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Backup written to {Folder}: {Files} files, {Bytes} bytes in {DurationMs} ms")]
    private static partial void LogCreated(ILogger logger, string folder, int files, long bytes, long durationMs);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Backup into {Folder} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, Exception ex, string folder, string error);
}
