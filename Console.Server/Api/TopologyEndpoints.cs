using OpsConsole.Console.Server.Security;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Console.Server.Api;

/// <summary><c>GET/POST /api/topology</c> (api.md): the stored network as GeoJSON; an admin import replaces it whole.</summary>
public static class TopologyEndpoints
{
    public static IEndpointRouteBuilder MapTopologyApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/topology", async (TopologyStore store, HttpContext http, CancellationToken ct) =>
            {
                var import = await store.LoadAsync(ct);
                http.Response.ContentType = "application/geo+json";
                await TopologyGeoJsonWriter.WriteAsync(http.Response.Body, import?.Features ?? [], ct);
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapPost("/api/topology", async (HttpRequest request, TopologyStore store, TopologyState state, CorrelationService correlation, CancellationToken ct) =>
            {
                var import = await TopologyGeoJsonReader.ReadAsync(request.Body, ct);
                if (!import.IsValid)
                {
                    var findings = import.Findings.Select(f => f.ToString()).ToArray();
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["features"] = findings },
                        detail: $"the topology is invalid ({import.Errors.Count()} errors); nothing was changed");
                }

                // Build first (it can only fail before anything is stored), then store atomically, then swap and re-correlate.
                var topology = NetworkTopology.Build(import.Features, keepExtraProperties: false);
                store.Save(import.Features, "POST /api/topology");
                state.Replace(topology);
                int replayed = await correlation.RebuildAsync(ct);
                return Results.Json(new
                {
                    features = import.Features.Count,
                    meters = topology.MeterCount,
                    warnings = import.Findings.Where(f => f.Severity != FindingSeverity.Error).Select(f => f.ToString()),
                    eventsReplayed = replayed,
                });
            })
            .RequireAuthorization(Roles.AdminPolicy);
        return endpoints;
    }
}
