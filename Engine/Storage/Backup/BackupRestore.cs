using System.Security.Cryptography;
using System.Text.Json;

using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Engine.Storage.Backup;

/// <summary>
/// Puts a backup (<see cref="BackupService"/>) back as the <c>Storage:Path</c> folder of a stopped server: checks the
/// manifest and every file's size and SHA-256 first, refuses a folder a running server holds
/// (<see cref="DataFolderLock"/>) or one that is not empty, then copies owner-only and checks each copy again.
/// Nothing is half-restored: a failure removes what was written.
/// </summary>
public static class BackupRestore
{
    /// <summary>Where a backup keeps the master key, relative to the backup folder and to the restored <c>Storage:Path</c>.</summary>
    public const string MasterKeyPath = "keys/master.key";

    /// <summary>Reads the manifest of <paramref name="backupFolder"/> and checks every file it lists.</summary>
    /// <exception cref="BackupException">Not a backup, or a file is missing, of another size or another SHA-256.</exception>
    public static BackupManifest Verify(string backupFolder)
    {
        string root = Path.GetFullPath(backupFolder);
        var manifest = ReadManifest(root);
        foreach (var file in manifest.Files)
        {
            string path = Path.Combine(root, file.Path.Replace('/', Path.DirectorySeparatorChar));
            if (!File.Exists(path))
            {
                throw Damaged(root, $"{file.Path} is missing");
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            if (stream.Length != file.Bytes)
            {
                throw Damaged(root, $"{file.Path} holds {stream.Length} bytes, the manifest says {file.Bytes}");
            }

            string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!actual.Equals(file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw Damaged(root, $"{file.Path} has SHA-256 {actual}, the manifest says {file.Sha256}");
            }
        }

        return manifest;
    }

    /// <summary>Restores <paramref name="backupFolder"/> into <paramref name="target"/>, the <c>Storage:Path</c> of a stopped server.</summary>
    /// <exception cref="BackupException">Refused (see above) or failed; the message says why.</exception>
    public static BackupManifest Restore(string backupFolder, string target)
    {
        string root = Path.GetFullPath(target);
        if (DataFolderLock.IsHeld(root))
        {
            throw new BackupException($"Storage:Path = '{root}' is the folder of a running server ({DataFolderLock.FileName} is locked): stop it first; a restore never writes into a running server's folder");
        }

        if (File.Exists(root))
        {
            throw new BackupException($"Storage:Path = '{root}' is a file, not a folder");
        }

        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new BackupException($"Storage:Path = '{root}' is not empty: restore into a new or empty folder (move the old data away first)");
        }

        var manifest = Verify(backupFolder);
        string source = Path.GetFullPath(backupFolder);
        bool created = !Directory.Exists(root);
        try
        {
            BackupService.CreateOwnerOnly(root);
            using var claim = DataFolderLock.TryAcquire(root)
                ?? throw new BackupException($"Storage:Path = '{root}' was taken by another process during the restore");
            foreach (var file in manifest.Files)
            {
                string from = Path.Combine(source, file.Path.Replace('/', Path.DirectorySeparatorChar));
                var copied = BackupService.WriteFile(root, file.Path, destination =>
                {
                    using var input = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                    input.CopyTo(destination);
                });
                if (copied.Bytes != file.Bytes || !copied.Sha256.Equals(file.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw Damaged(source, $"{file.Path} changed while it was restored");
                }
            }

            foreach (string folder in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Append(root))
            {
                Events.DirectorySync.Flush(folder);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or BackupException)
        {
            BackupService.RemoveWhatWasWritten(root, created); // best effort; the failure's message says the restore did not complete
            throw ex as BackupException ?? new BackupException($"the restore into {root} failed ({ex.Message}); what it had written is removed", ex);
        }

        return manifest;
    }

    private static BackupManifest ReadManifest(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new BackupException($"{root}: no such backup folder");
        }

        string file = Path.Combine(root, BackupManifest.FileName);
        if (!File.Exists(file))
        {
            throw new BackupException($"{root} is not a backup: it has no {BackupManifest.FileName} (a backup that failed or was cut short has none)");
        }

        BackupManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BackupManifest>(File.ReadAllBytes(file), BackupManifest.Json);
        }
        catch (JsonException ex)
        {
            throw Damaged(root, $"{BackupManifest.FileName} cannot be read ({ex.Message})");
        }

        if (manifest is null)
        {
            throw Damaged(root, $"{BackupManifest.FileName} is empty");
        }

        if (manifest.Format != BackupManifest.CurrentFormat)
        {
            throw new BackupException($"{root}: manifest format {manifest.Format}; this version reads format {BackupManifest.CurrentFormat}");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in manifest.Files)
        {
            if (entry is null || !IsPlainRelative(entry.Path) || !seen.Add(entry.Path) || entry.Bytes < 0 || entry.Sha256 is not { Length: 64 })
            {
                throw Damaged(root, $"{BackupManifest.FileName} lists an entry that is not a file of a backup ('{entry?.Path}')");
            }
        }

        foreach (string required in new[] { LiteStore.FileName, MasterKeyPath })
        {
            if (!seen.Contains(required))
            {
                throw Damaged(root, $"{BackupManifest.FileName} lists no {required}");
            }
        }

        return manifest;
    }

    /// <summary>A path inside the folder: relative, with <c>/</c>, no empty, <c>.</c> or <c>..</c> segment.</summary>
    private static bool IsPlainRelative(string? path) =>
        !string.IsNullOrEmpty(path) && !path.Contains('\\', StringComparison.Ordinal) && !Path.IsPathRooted(path)
        && path.IndexOfAny(Path.GetInvalidPathChars()) < 0
        && path.Split('/').All(segment => segment.Length > 0 && segment is not ("." or ".."));

    private static BackupException Damaged(string root, string what) =>
        new($"the backup {root} was changed or damaged: {what}; nothing was restored");
}
