using OpsConsole.Console.Server.Outages;
using OpsConsole.Console.Server.Security;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Api;

/// <summary>Outages and meters (api.md): reads from the correlation snapshot; changes go through the correlation loop.</summary>
public static class OutageEndpoints
{
    public const int LastEvents = 10;

    public static IEndpointRouteBuilder MapOutageApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/outages", (string? state, IOutageFeed feed) =>
            {
                var snapshot = feed.Current;
                return state switch
                {
                    null or "" or "active" => Results.Json(snapshot.Active.Select(ApiJson.Outage)),
                    "all" => Results.Json(snapshot.All.OrderByDescending(o => o.Priority).ThenBy(o => o.StartedAt).Select(ApiJson.Outage)),
                    _ => ApiJson.FieldProblem("state", $"'{state}' is not a state filter: use 'active' or 'all'"),
                };
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapGet("/api/outages/{id}", async (string id, IOutageFeed feed, CorrelationService correlation, EventStore events, CancellationToken ct) =>
            {
                if (feed.Current.Find(id) is not { } outage)
                {
                    return ApiJson.NotFound($"no outage '{id}'");
                }

                // Every customer behind the failed element, not only those that reported; their last events in one
                // pass over the batches that hold them (EventStore.LastByMeters), not one read per meter.
                var behind = await correlation.QueryAsync(c => c.MetersOf(outage.Id), ct);
                var reported = outage.ReportingMeterIds.ToHashSet(StringComparer.Ordinal);
                var last = events.LastByMeters(behind.Select(m => m.Guid));
                var meters = behind.Select(m => new
                {
                    id = m.MeterId,
                    guid = m.Guid,
                    reported = reported.Contains(m.MeterId),
                    state = m.IsDown ? "Down" : "Up",
                    lastEvent = last.TryGetValue(m.Guid, out var e) ? ApiJson.Event(e) : null,
                });
                return Results.Json(new { outage = ApiJson.Outage(outage), meters, history = outage.History.Select(h => new { from = h.From?.ToString(), state = h.State.ToString(), at = h.At.UtcDateTime, h.Actor, h.Note }) });
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapGet("/api/meters/{id}", async (string id, CorrelationService correlation, EventStore events, TopologyState topology, CancellationToken ct) =>
            {
                var (status, tests) = await correlation.QueryAsync(c => (c.MeterStatusOf(id), c.TestResultsOf(id)), ct);
                if (status is null)
                {
                    return ApiJson.NotFound($"no meter '{id}' (give a meter id or GUID)");
                }

                var net = topology.Current;
                var feature = net.TryGetMeter(status.Guid, out int m) ? net[m] : null;
                var last = events.ByMeter(status.Guid, LastEvents);
                var newest = last.Count > 0 ? last[0] : null;
                return Results.Json(new
                {
                    id = status.MeterId,
                    guid = status.Guid,
                    mapping = new
                    {
                        transformer = status.TransformerId,
                        remapped = status.Remapped,
                        inTopology = feature is not null,
                        address = feature?.Address,
                        critical = feature?.IsCritical ?? false,
                    },
                    state = status.IsDown ? "Down" : "Up",
                    outageId = status.OutageId,
                    flags = new
                    {
                        timeSync = newest?.Flags.HasFlag(EventFlags.TimeSync) ?? false,
                        capacitor = newest?.Flags.HasFlag(EventFlags.CapacitorLow) ?? false,
                        signal = newest?.Flags.HasFlag(EventFlags.SignalLow) ?? false,
                    },
                    lastEvents = last.Select(ApiJson.Event),
                    testResults = tests.Select(t => t.UtcDateTime),
                });
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapPut("/api/meters/{id}/parent", async (string id, ParentBody? body, OutageBoardSource board, TopologyState topology, HttpContext http) =>
            {
                var tx = body?.Transformer;
                if (string.IsNullOrWhiteSpace(tx))
                {
                    return ApiJson.FieldProblem("transformer", "required: the id of the transformer the meter is fed from");
                }

                var net = topology.Current;
                if (!net.TryGetElement(tx, out int e) || net.KindOf(e) != Gis.Topology.ElementKind.Transformer)
                {
                    return ApiJson.FieldProblem("transformer", $"'{tx}' is not a transformer of the network");
                }

                // The board's own remap: the same role and session checks, and one audit row with the actor — the signed-in
                // user, or api-key:<role>:<hash prefix> for a machine client (ApiKeyAuthenticationHandler.ActorName).
                var result = await board.RemapMeterAsync(id, http.User, tx, http.Connection.RemoteIpAddress?.ToString());
                if (!result.Succeeded)
                {
                    return ApiJson.FieldProblem("id", result.Error ?? "remap failed");
                }

                return Results.Json(new { meter = id, transformer = tx, outage = result.Outage is { } o ? ApiJson.Outage(o) : null });
            })
            .RequireAuthorization(Roles.AdminPolicy);
        return endpoints;
    }

    public sealed record ParentBody(string? Transformer);
}
