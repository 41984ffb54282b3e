using OpsConsole.Console.Server.Security;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Console.Server.Api;

/// <summary><c>GET /api/stats</c> (api.md): counters since start, and <c>totals</c> since the first start; any role.</summary>
public static class StatsEndpoints
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/stats", (IngestStats stats, IOutageFeed feed) => Results.Json(Build(stats, feed)))
            .RequireAuthorization(Roles.ReadPolicy);
        return endpoints;
    }

    /// <summary>The stats object of <c>GET /api/stats</c> and the hub's <c>StatsChanged</c>.</summary>
    public static object Build(IngestStats stats, IOutageFeed feed)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(feed);
        var s = stats.Snapshot();
        return new
                {
                    datagrams = new { received = s.Received, accepted = s.Accepted, duplicates = s.Duplicates, control = s.Control, rejected = s.RejectedTotal, kernelDropped = s.KernelDropped },
                    accepted = s.Accepted,
                    duplicates = s.Duplicates,
                    rejected = s.Rejected,
                    flagged = s.Flagged,
                    gateways = s.Gateways,
                    outages = feed.Current.ActiveByLevel().ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                    totals = Totals(s.Totals),
                };
    }

    /// <summary>The counters since the first start (persisted: a restart or a restore keeps them), named as the figures since start.</summary>
    private static object Totals(IReadOnlyDictionary<string, long> t) => new
    {
        datagrams = new
        {
            received = t.GetValueOrDefault("received"),
            accepted = t.GetValueOrDefault("accepted"),
            duplicates = t.GetValueOrDefault("duplicates"),
            control = t.GetValueOrDefault("control"),
            rejected = t.GetValueOrDefault("rejected"),
        },
        rejected = Prefixed(t, "rejected."),
        flagged = Prefixed(t, "flagged."),
    };

    private static Dictionary<string, long> Prefixed(IReadOnlyDictionary<string, long> t, string prefix) =>
        t.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
