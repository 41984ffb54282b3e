using System.Globalization;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Console.Server.Api;

/// <summary>
/// <c>GET /api/audit?from=…&amp;to=…&amp;user=…&amp;action=…&amp;limit=…</c> (api.md): the audit trail for admins, newest
/// first, <c>[{ "at", "user", "action", "detail", "remoteAddress" }]</c>. <c>from</c> is inclusive and <c>to</c>
/// exclusive (ISO 8601; a time without an offset is UTC); <c>user</c> and <c>action</c> match whole values, case
/// aside. A page holds at most <c>limit</c> entries (default <see cref="DefaultLimit"/>, at most
/// <see cref="MaxLimit"/>); the next page is the same query with <c>to</c> set to the last entry's <c>at</c>.
/// A bad time or limit is a <c>400</c> problem naming the field.
/// </summary>
public static class AuditEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/audit", (AuditLog audit, string? from, string? to, string? user, string? action, string? limit) =>
            {
                if (!TryTime(from, out var start))
                {
                    return ApiJson.FieldProblem("from", $"'{from}' is not a time: use ISO 8601, e.g. 2026-11-24T18:00:00Z");
                }

                if (!TryTime(to, out var end))
                {
                    return ApiJson.FieldProblem("to", $"'{to}' is not a time: use ISO 8601, e.g. 2026-11-25T00:00:00Z");
                }

                if (start is not null && end is not null && start > end)
                {
                    return ApiJson.FieldProblem("to", "must not be before from");
                }

                int take = DefaultLimit;
                if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) || take is < 1 or > MaxLimit))
                {
                    return ApiJson.FieldProblem("limit", $"'{limit}' is not a page size: a whole number from 1 to {MaxLimit}");
                }

                var entries = audit.Query(new AuditQuery(start, end, Blank(user), Blank(action), take));
                return Results.Json(entries.Select(e => new AuditEntryDto(
                    DateTime.SpecifyKind(e.Time, DateTimeKind.Utc), e.User, e.Action, e.Detail, e.RemoteAddress)));
            })
            .RequireAuthorization(Roles.AdminPolicy);
        return endpoints;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool TryTime(string? text, out DateTime? time)
    {
        time = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var parsed))
        {
            time = parsed.UtcDateTime;
            return true;
        }

        return false;
    }
}

/// <summary>One entry of <c>GET /api/audit</c>.</summary>
public sealed record AuditEntryDto(DateTime At, string User, string Action, string? Detail, string RemoteAddress);
