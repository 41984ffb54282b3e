using OpsConsole.Gis.Snapshot;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// File copies of network snapshots, each named by its identity (<see cref="NetworkSnapshot.Identity"/>), in an
/// owner-only folder beside the database. A copy, never the record: the database keeps every snapshot and names the
/// one in force, so a missing, damaged or stale file costs one read from the database and is written again. A file is
/// used only when its own header names it as the file name says; the reader then checks its payload's SHA-256.
/// Failing to write one is not an error (the next start reads the database instead).
/// </summary>
internal sealed class SnapshotFiles(string folder)
{
    public const string FolderName = "network-snapshots";
    private const string Extension = ".netsnap";
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnlyFile | UnixFileMode.UserExecute;

    public string PathOf(string identity) => Path.Combine(folder, Checked(identity) + Extension);

    /// <summary>The file's bytes when it is there and its header carries <paramref name="identity"/>; null otherwise.</summary>
    public byte[]? TryRead(string identity)
    {
        try
        {
            string path = PathOf(identity);
            if (!File.Exists(path))
            {
                return null;
            }

            var bytes = File.ReadAllBytes(path);
            return NetworkSnapshot.Identity(bytes) == identity ? bytes : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Writes the copy (to a temporary name, then renamed: a reader never sees half a file).</summary>
    public void Write(string identity, byte[] snapshot)
    {
        string? temporary = null;
        try
        {
            string path = PathOf(identity);
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, OwnerOnlyFolder);
            }

            temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnlyFile;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(snapshot);
            }

            File.Move(temporary, path, overwrite: true);
            temporary = null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a copy: the next start reads the database and tries again.
        }
        finally
        {
            if (temporary is not null)
            {
                TryDelete(temporary);
            }
        }
    }

    public void Delete(string identity) => TryDelete(PathOf(identity));

    /// <summary>Deletes every copy (and any half-written one) but those of <paramref name="keep"/>.</summary>
    public void KeepOnly(params string?[] keep)
    {
        try
        {
            if (!Directory.Exists(folder))
            {
                return;
            }

            var kept = keep.Where(k => k is not null).Select(k => Path.GetFileName(PathOf(k!))).ToHashSet(StringComparer.Ordinal);
            foreach (string file in Directory.EnumerateFiles(folder))
            {
                if (!kept.Contains(Path.GetFileName(file)))
                {
                    TryDelete(file);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next save.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A stale copy is never used: its name does not match what the database names.
        }
    }

    /// <summary>An identity is 64 hexadecimal digits; anything else never becomes part of a path.</summary>
    private static string Checked(string identity) =>
        identity.Length == 64 && identity.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')
            ? identity
            : throw new ArgumentException($"not a snapshot identity: {identity}", nameof(identity));
}
