using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Backup;
using OpsConsole.Engine.Storage.Events;

using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Console.Server.Backup;

/// <summary>
/// The command-line doors: <c>backup &lt;folder&gt;</c> and <c>restore &lt;backup-folder&gt;</c>, with the server's own
/// configuration (appsettings.json, environment, <c>--Key=value</c> arguments) for <c>Storage:Path</c> and
/// <c>Security:MasterKeyFile</c>. A refusal or failure is one line on stderr and exit code 2, never a stack trace.
/// </summary>
/// <remarks>
/// <c>backup</c> against a running server (its folder's <see cref="DataFolderLock"/> is held) asks that server for the
/// backup through <see cref="LocalAdminSocket"/>: only the process writing the database can copy it consistently.
/// Against a stopped server it takes the lock itself (a server cannot start meanwhile) and copies the same way.
/// </remarks>
public static class BackupCommands
{
    public const int ExitRefused = 2;

    public static bool IsCommand(string[] args) => args is ["backup", ..] or ["restore", ..];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal))
        {
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return ExitRefused;
        }

        var configuration = Configuration(args[2..]);
        string storage = OptionPaths.Resolve(configuration[$"{StorageOptions.Section}:Path"] is { Length: > 0 } p ? p : new StorageOptions().Path);
        try
        {
            return args[0] == "backup"
                ? await BackupAsync(storage, configuration[MasterKeyFile.ConfigurationKey], Path.GetFullPath(args[1]), output).ConfigureAwait(false)
                : await RestoreAsync(Path.GetFullPath(args[1]), storage, output).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BackupException or StartupException or IOException or SocketException or UnauthorizedAccessException or JsonException)
        {
            await error.WriteLineAsync($"OpsConsole {args[0]} refused: {ex.Message}").ConfigureAwait(false);
            return ExitRefused;
        }
    }

    private const string Usage = """
        usage: backup <folder>                 a consistent backup of Storage:Path (running server or not) into a new or empty folder
               restore <backup-folder>         restores a backup into Storage:Path (new or empty; the server stopped)
        options: --Storage:Path=<folder> (and the other settings of the server, as for a start)
        """;

    private static async Task<int> BackupAsync(string storage, string? configuredKey, string target, TextWriter output)
    {
        if (!Directory.Exists(storage) || !File.Exists(Path.Combine(storage, LiteStore.FileName)))
        {
            throw new BackupException($"Storage:Path = '{storage}' holds no database ({LiteStore.FileName}): nothing to back up");
        }

        using (var claim = DataFolderLock.TryAcquire(storage))
        {
            if (claim is not null)
            {
                // No server runs on the folder, and none can start while the lock is held: copy it here.
                var key = MasterKeyLocation.Resolve(configuredKey, storage, Environment.CurrentDirectory);
                using var store = new LiteStore(storage);
                using var journal = new EventJournal(EventJournal.FolderUnder(storage));
                var service = new BackupService(store, journal, key, TimeProvider.System, NullLogger<BackupService>.Instance);
                var manifest = await service.CreateAsync(target).ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Backup of {storage} (server stopped) written to {target}: {manifest.Files.Count} files, {manifest.Files.Sum(f => f.Bytes)} bytes in {manifest.DurationMs} ms, as of {manifest.CreatedAt:o}.")).ConfigureAwait(false);
                return 0;
            }
        }

        var answer = await AskRunningServerAsync(storage, target).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Backup of {storage} taken by the running server, written to {target}: {answer.GetProperty("files").GetInt32()} files, {answer.GetProperty("bytes").GetInt64()} bytes in {answer.GetProperty("durationMs").GetInt64()} ms, as of {answer.GetProperty("createdAt").GetDateTime():o}.")).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Asks the server running on <paramref name="storage"/> for a backup into <paramref name="target"/>.</summary>
    private static async Task<JsonElement> AskRunningServerAsync(string storage, string target)
    {
        string path = LocalAdminSocket.PathUnder(storage);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            throw new BackupException($"a server is running on Storage:Path = '{storage}' but its local admin socket {path} does not answer ({ex.Message}); " +
                "run this command as the server's user, or use POST /api/admin/backup");
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        byte[] request = [.. JsonSerializer.SerializeToUtf8Bytes(new LocalAdminRequest("backup", target), LocalAdminSocket.Json), (byte)'\n'];
        await stream.WriteAsync(request).ConfigureAwait(false);
        string? line = await LocalAdminSocket.ReadLineAsync(stream, CancellationToken.None).ConfigureAwait(false)
            ?? throw new BackupException("the running server closed the local admin socket without an answer; see its log");
        using var doc = JsonDocument.Parse(line);
        var answer = doc.RootElement.Clone();
        return answer.GetProperty("ok").GetBoolean()
            ? answer
            : throw new BackupException(answer.GetProperty("error").GetString() ?? "the running server refused the backup");
    }

    private static async Task<int> RestoreAsync(string backup, string storage, TextWriter output)
    {
        var manifest = BackupRestore.Restore(backup, storage);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Restored {manifest.Files.Count} files ({manifest.Files.Sum(f => f.Bytes)} bytes) of the backup of {manifest.Source} as of {manifest.CreatedAt:o} into {storage}.")
            .AppendLine()
            .Append(CultureInfo.InvariantCulture, $"Start the server with Storage:Path={storage}; its master key is {MasterKeyLocation.UnderStorage(storage)} ")
            .Append("(leave Security:MasterKeyFile unset, or set it to that file).");
        await output.WriteLineAsync(text.ToString()).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The server's configuration sources, as a start would read them.</summary>
    private static IConfiguration Configuration(string[] args)
    {
        string environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
    }
}
