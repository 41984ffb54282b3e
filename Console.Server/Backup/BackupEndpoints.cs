using OpsConsole.Console.Server.Api;
using OpsConsole.Console.Server.Security;

namespace OpsConsole.Console.Server.Backup;

/// <summary>
/// <c>POST /api/admin/backup</c>: an online backup into a new folder under <c>Backup:Path</c>. Open to every signed-in
/// role at the policy so that <see cref="BackupAdministration"/> audits a refusal; it answers <c>403</c> to all but admins.
/// </summary>
public static class BackupEndpoints
{
    public const string Path = "/api/admin/backup";

    public static IEndpointRouteBuilder MapBackupApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, async (BackupBody? body, HttpContext http, BackupAdministration admin, CancellationToken ct) =>
            {
                var result = await admin.CreateAsync(http.User, body?.Name, http.Connection.RemoteIpAddress?.ToString(), ct);
                if (result.Manifest is { } manifest)
                {
                    return Results.Json(new
                    {
                        name = result.Name,
                        folder = result.Folder,
                        createdAt = manifest.CreatedAt.UtcDateTime,
                        files = manifest.Files.Count,
                        bytes = manifest.Files.Sum(f => f.Bytes),
                        durationMs = manifest.DurationMs,
                    });
                }

                return result.Field is { } field
                    ? ApiJson.FieldProblem(field, result.Error!)
                    : Results.Problem(statusCode: result.Status, title: result.Status == StatusCodes.Status403Forbidden ? "Forbidden" : "Backup not taken", detail: result.Error);
            })
            .RequireAuthorization(Roles.ReadPolicy); // the role is checked (and a refusal audited) by BackupAdministration
        return endpoints;
    }

    /// <summary>The body: the backup's folder name under <c>Backup:Path</c>; omitted, <c>opsconsole-&lt;UTC time&gt;</c>.</summary>
    public sealed record BackupBody(string? Name);
}
