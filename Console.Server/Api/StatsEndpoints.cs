using OpsConsole.Console.Server.Security;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Console.Server.Api;

/// <summary><c>GET /api/stats</c> (api.md): counters since start; any role.</summary>
public static class StatsEndpoints
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/stats", (IngestStats stats) =>
            {
                var s = stats.Snapshot();
                return Results.Json(new
                {
                    datagrams = new { received = s.Received, accepted = s.Accepted, duplicates = s.Duplicates, control = s.Control, rejected = s.RejectedTotal },
                    accepted = s.Accepted,
                    duplicates = s.Duplicates,
                    rejected = s.Rejected,
                    flagged = s.Flagged,
                    gateways = s.Gateways,
                });
            })
            .RequireAuthorization(Roles.ReadPolicy);
        return endpoints;
    }
}
