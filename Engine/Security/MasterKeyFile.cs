using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace OpsConsole.Engine.Security;

/// <summary>
/// The head-end's 32-byte master key (wire-format.md §4) in a file of exactly 32 raw bytes, readable
/// and writable by the owner only (<c>0600</c>, in a folder created <c>0700</c>).
/// </summary>
/// <remarks>
/// <para>
/// Creation is atomic and never exposes the key: the bytes go to a temporary file in the same folder
/// that is created with mode 0600 by the <c>open(2)</c> call itself (<c>O_CREAT|O_EXCL</c>, before any
/// byte is written), flushed to disk, then renamed into place without overwriting. If another process
/// created the file first, that file is loaded instead.
/// </para>
/// <para>
/// Loading refuses a file whose size is not 32 bytes or whose mode grants any group/other permission,
/// with a <see cref="MasterKeyFileException"/> naming <c>Security:MasterKeyFile</c> and the path.
/// The mode and size are read from the open handle, so the checked file is the file read.
/// </para>
/// </remarks>
public static class MasterKeyFile
{
    /// <summary>The configuration key that names the file.</summary>
    public const string ConfigurationKey = "Security:MasterKeyFile";

    /// <summary>Master key length in bytes.</summary>
    public const int KeySize = MeterKeys.MasterKeySize;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Loads the key, creating the file (and its missing folders, 0700) with a fresh random key when it does not exist.</summary>
    /// <exception cref="MasterKeyFileException">The file is unusable or cannot be created.</exception>
    public static byte[] LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            return Load(full);
        }

        return Create(full);
    }

    /// <summary>Loads an existing key file.</summary>
    /// <exception cref="MasterKeyFileException">Missing, unreadable, not 32 bytes, or open to group/other.</exception>
    public static byte[] Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (FileNotFoundException ex)
        {
            throw new MasterKeyFileException($"{ConfigurationKey} = '{full}': no such file", ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new MasterKeyFileException($"{ConfigurationKey} = '{full}': no such folder", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MasterKeyFileException($"{ConfigurationKey} = '{full}': cannot be opened ({ex.Message})", ex);
        }

        using (handle)
        {
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(handle);
                if ((mode & GroupOrOther) != 0)
                {
                    throw new MasterKeyFileException(
                        $"{ConfigurationKey} = '{full}': the file is accessible to group or others (mode {FormatMode(mode)}); " +
                        $"the master key must be owner-only: chmod 600 '{full}'");
                }
            }

            long length = RandomAccess.GetLength(handle);
            if (length != KeySize)
            {
                throw new MasterKeyFileException(
                    $"{ConfigurationKey} = '{full}': holds {length} bytes; a master key file holds exactly {KeySize} raw bytes");
            }

            var key = new byte[KeySize];
            try
            {
                int read = 0;
                while (read < KeySize)
                {
                    int n = RandomAccess.Read(handle, key.AsSpan(read), read);
                    if (n == 0)
                    {
                        throw new MasterKeyFileException($"{ConfigurationKey} = '{full}': the file shrank while it was read");
                    }

                    read += n;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                CryptographicOperations.ZeroMemory(key);
                throw new MasterKeyFileException($"{ConfigurationKey} = '{full}': cannot be read ({ex.Message})", ex);
            }

            return key;
        }
    }

    private static byte[] Create(string full)
    {
        string folder = Path.GetDirectoryName(full) ?? throw new MasterKeyFileException($"{ConfigurationKey} = '{full}': not a file path");
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(6))}.tmp");
        var key = RandomNumberGenerator.GetBytes(KeySize);
        try
        {
            CreateOwnerOnlyFolders(folder);

            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerReadWrite; // set by open(2) itself: never readable by others, not even briefly
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(key);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temp, full, overwrite: false);
            }
            catch (IOException) when (File.Exists(full))
            {
                // Another process created it first: theirs wins, ours is discarded unread.
                File.Delete(temp);
                CryptographicOperations.ZeroMemory(key);
                return Load(full);
            }

            return key;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CryptographicOperations.ZeroMemory(key);
            TryDelete(temp);
            throw new MasterKeyFileException($"{ConfigurationKey} = '{full}': cannot be created ({ex.Message})", ex);
        }
    }

    // Every folder this call creates is 0700 (Directory.CreateDirectory(path, mode) applies the mode to
    // the last level only); folders that already exist are left as they are.
    private static void CreateOwnerOnlyFolders(string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }

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
            Directory.CreateDirectory(level, OwnerAll);
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
            // Best effort: the temporary file is owner-only; the original error is what matters.
        }
    }

    private static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8);
}
