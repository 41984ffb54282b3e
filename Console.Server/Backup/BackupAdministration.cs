using System.Globalization;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Storage.Backup;

namespace OpsConsole.Console.Server.Backup;

/// <summary>
/// Backups as the two doors ask for them — <c>POST /api/admin/backup</c> and the command line through
/// <see cref="LocalAdminSocket"/> — on the one <see cref="BackupService"/>: the role and session check (REST), the
/// target folder, and one audit entry per request whatever its outcome (<see cref="Action"/>,
/// <see cref="FailedAction"/>, or <c>admin-refused</c>).
/// </summary>
public sealed partial class BackupAdministration(
    BackupService backups,
    IOptions<BackupOptions> options,
    AuditLog audit,
    SessionStamps sessions,
    TimeProvider time,
    ILogger<BackupAdministration> logger)
{
    public const string Action = "backup";
    public const string FailedAction = "backup-failed";
    public const string RefusedAction = "admin-refused";

    /// <summary>The actor of a backup asked for on the command line (through the owner-only local socket).</summary>
    public const string LocalActor = "local-command";

    /// <summary>A backup's name under <c>Backup:Path</c>: one folder name, no path.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex NamePattern();

    /// <summary>A backup into <c>Backup:Path/&lt;name&gt;</c> for a signed-in admin or admin key (the REST door).</summary>
    public async Task<BackupRequestResult> CreateAsync(ClaimsPrincipal user, string? name, string? remoteAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        string actor = user.Identity is { IsAuthenticated: true, Name: { Length: > 0 } n } ? n : "";
        if (actor.Length == 0 || !user.IsInRole(Roles.Admin))
        {
            audit.Write(actor, RefusedAction, remoteAddress, "create a backup");
            return BackupRequestResult.Refused(StatusCodes.Status403Forbidden, "Your role does not allow this action.");
        }

        if (sessions.WhyRevoked(user) is { } revoked)
        {
            audit.Write(actor, RefusedAction, remoteAddress, $"create a backup: session revoked ({revoked})");
            return BackupRequestResult.Refused(StatusCodes.Status403Forbidden, "Your session is no longer valid.");
        }

        name = string.IsNullOrEmpty(name) ? "opsconsole-" + time.GetUtcNow().ToString("yyyyMMdd-HHmmss'Z'", CultureInfo.InvariantCulture) : name;
        if (!NamePattern().IsMatch(name))
        {
            string why = "a backup name is one folder name: letters, digits, '.', '_', '-', at most 100, starting with a letter or digit";
            audit.Write(actor, FailedAction, remoteAddress, $"'{name}': {why}");
            return BackupRequestResult.Refused(StatusCodes.Status400BadRequest, why, field: "name");
        }

        if (options.Value.Path.Length == 0)
        {
            const string off = "Backup:Path is not configured: the REST call has no folder to write into (the command line 'backup <folder>' works without it)";
            audit.Write(actor, FailedAction, remoteAddress, off);
            return BackupRequestResult.Refused(StatusCodes.Status409Conflict, off);
        }

        string target = Path.Combine(OptionPaths.Resolve(options.Value.Path), name);
        try
        {
            var manifest = await backups.CreateAsync(target, cancellationToken).ConfigureAwait(false);
            audit.Write(actor, Action, remoteAddress, Describe(name, manifest));
            return BackupRequestResult.Done(name, target, manifest);
        }
        catch (BackupException ex)
        {
            audit.Write(actor, FailedAction, remoteAddress, $"{name}: {ex.Message}");
            return BackupRequestResult.Refused(StatusCodes.Status409Conflict, ex.Message);
        }
    }

    /// <summary>A backup into any folder, asked for on the command line (the caller has the service account's file rights).</summary>
    /// <exception cref="BackupException">Refused or failed (audited).</exception>
    public async Task<BackupManifest> CreateLocalAsync(string folder, CancellationToken cancellationToken)
    {
        try
        {
            var manifest = await backups.CreateAsync(folder, cancellationToken).ConfigureAwait(false);
            audit.Write(LocalActor, Action, null, Describe(folder, manifest));
            return manifest;
        }
        catch (BackupException ex)
        {
            audit.Write(LocalActor, FailedAction, null, $"{folder}: {ex.Message}");
            LogLocalFailed(logger, folder, ex.Message);
            throw;
        }
    }

    private static string Describe(string name, BackupManifest manifest) => string.Create(CultureInfo.InvariantCulture,
        $"{name}: {manifest.Files.Count} files, {manifest.Files.Sum(f => f.Bytes)} bytes, as of {manifest.CreatedAt:o}");

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Backup asked for on the command line into {Folder} failed: {Error}")]
    private static partial void LogLocalFailed(ILogger logger, string folder, string error);
}
