using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Storage.Backup;

namespace OpsConsole.Console.Server.Backup;

/// <summary>
/// The command line's door into the running server: a Unix domain socket <c>admin.sock</c> in <c>Storage:Path</c>,
/// through which <c>backup &lt;folder&gt;</c> (another process) asks this server for the backup, since only the
/// process that writes the database can copy it consistently (<see cref="BackupService"/>).
/// </summary>
/// <remarks>
/// <para><b>Who can use it.</b> Connecting needs write permission on the socket file (created 0600) inside the 0700
/// data folder: only the service account (and root), who can read the database and the master key directly anyway.
/// So it grants nothing new, and needs no credential. It offers one request: a backup into a folder; each is audited
/// once as <see cref="BackupAdministration.LocalActor"/>.</para>
/// <para><b>Protocol.</b> One request per connection: a line of JSON <c>{"command":"backup","folder":"/abs/path"}</c>;
/// the answer is a line of JSON, <c>{"ok":true,…}</c> or <c>{"ok":false,"error":"…"}</c>. Requests are served one at a
/// time (backups are anyway).</para>
/// </remarks>
public sealed partial class LocalAdminSocket(BackupAdministration admin, IOptions<StorageOptions> storage, ILogger<LocalAdminSocket> logger) : BackgroundService
{
    public const string FileName = "admin.sock";

    /// <summary>Longest request line read.</summary>
    private const int MaxRequestBytes = 8192;

    /// <summary>Unix socket paths are limited (108 bytes on Linux, 104 elsewhere, the terminating zero included).</summary>
    public const int MaxPathBytes = 103;

    /// <summary>The protocol's JSON: camelCase, one line.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private readonly TaskCompletionSource<string?> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The socket's path once listening, or null when it could not be offered.</summary>
    public Task<string?> Listening => _listening.Task;

    /// <summary>The socket of a <c>Storage:Path</c> folder.</summary>
    public static string PathUnder(string storageFolder) => System.IO.Path.Combine(storageFolder, FileName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string path = PathUnder(OptionPaths.Resolve(storage.Value.Path));
        if (!Socket.OSSupportsUnixDomainSockets || Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            LogUnavailable(logger, path);
            _listening.TrySetResult(null);
            return;
        }

        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            File.Delete(path); // a socket file left by a server that was killed: this process holds the folder's lock
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(4);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            LogCannotListen(logger, path, ex.Message);
            _listening.TrySetResult(null);
            return;
        }

        _listening.TrySetResult(path);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using var client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                await ServeAsync(client, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // deleted at the next start
            }
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stoppingToken)
    {
        await using var stream = new NetworkStream(client, ownsSocket: false);
        object answer;
        try
        {
            var request = await ReadLineAsync(stream, stoppingToken).ConfigureAwait(false);
            var doc = request is null ? null : JsonSerializer.Deserialize<LocalAdminRequest>(request, Json);
            if (doc is not { Command: "backup", Folder: { Length: > 0 } folder } || !System.IO.Path.IsPathFullyQualified(folder))
            {
                answer = new { ok = false, error = "unknown request: send {\"command\":\"backup\",\"folder\":\"<absolute path>\"}" };
            }
            else
            {
                var manifest = await admin.CreateLocalAsync(folder, stoppingToken).ConfigureAwait(false);
                answer = new
                {
                    ok = true,
                    folder,
                    createdAt = manifest.CreatedAt.UtcDateTime,
                    files = manifest.Files.Count,
                    bytes = manifest.Files.Sum(f => f.Bytes),
                    durationMs = manifest.DurationMs,
                };
            }
        }
        catch (BackupException ex)
        {
            answer = new { ok = false, error = ex.Message };
        }
        catch (JsonException ex)
        {
            answer = new { ok = false, error = "the request is not JSON: " + ex.Message };
        }
        catch (IOException)
        {
            return; // the client went away
        }

        try
        {
            byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(answer, Json), (byte)'\n'];
            await stream.WriteAsync(line, stoppingToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // the client went away; the backup (if any) is done and audited
        }
    }

    /// <summary>One line of at most <see cref="MaxRequestBytes"/>, or null when the client sends none.</summary>
    internal static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            int end = Array.IndexOf(buffer, (byte)'\n', length, n);
            length += n;
            if (end >= 0)
            {
                return Encoding.UTF8.GetString(buffer, 0, end);
            }
        }

        return length == 0 ? null : Encoding.UTF8.GetString(buffer, 0, length);
    }

    [LoggerMessage(EventId = 6202, Level = LogLevel.Warning,
        Message = "No local admin socket at {Path} (path too long, or no Unix sockets here): 'backup <folder>' cannot reach this server while it runs; use POST /api/admin/backup")]
    private static partial void LogUnavailable(ILogger logger, string path);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Warning,
        Message = "No local admin socket at {Path} ({Error}): 'backup <folder>' cannot reach this server while it runs; use POST /api/admin/backup")]
    private static partial void LogCannotListen(ILogger logger, string path, string error);
}
