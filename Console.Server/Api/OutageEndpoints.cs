using System.Globalization;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Application.Power;
using OpsConsole.Console.Server.Security;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Meters;
using OpsConsole.Engine.Application.Outages;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Console.Server.Api;

/// <summary>Outages and meters (api.md): reads through <see cref="OutageQueries"/>, changes through the application commands.</summary>
public static class OutageEndpoints
{
    public const int LastEvents = 10;

    public static IEndpointRouteBuilder MapOutageApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/outages", (string? state, OutageQueries outages) =>
            {
                var snapshot = outages.Snapshot;
                return state switch
                {
                    null or "" or "active" => Results.Json(snapshot.Active.Select(ApiJson.Outage)),
                    "all" => Results.Json(snapshot.All.OrderByDescending(o => o.Priority).ThenBy(o => o.StartedAt).Select(ApiJson.Outage)),
                    _ => ApiJson.FieldProblem("state", $"'{state}' is not a state filter: use 'active' or 'all'"),
                };
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapGet("/api/outages/{id}", async (string id, OutageQueries outages, CancellationToken ct) =>
            {
                // Every customer behind the failed element, not only those that reported, with their last events.
                if (await outages.DetailAsync(id, lastEvents: true, ct) is not { } detail)
                {
                    return ApiJson.NotFound($"no outage '{id}'");
                }

                var outage = detail.Row.Outage;
                var meters = detail.Meters.Select(m => new
                {
                    id = m.MeterId,
                    guid = m.Guid,
                    reported = m.Reported,
                    state = m.Down ? "Down" : "Up",
                    lastEvent = m.LastEvent is { } e ? ApiJson.Event(e) : null,
                    mute = ApiJson.Mute(m.Mute),
                });
                return Results.Json(new { outage = ApiJson.Outage(outage), meters, history = outage.History.Select(h => new { from = h.From?.ToString(), state = h.State.ToString(), at = h.At.UtcDateTime, h.Actor, h.Note }) });
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapPost("/api/outages/{id}/clear", async (string id, ClearBody? body, OutageCommands commands, ActorResolver actors, HttpContext http, CancellationToken ct) =>
            {
                // The one clear (OutageCommands.ClearAsync): admin only, reads the reporting meters first (wire-format.md §6),
                // clears only a false positive, audited once with the evidence whichever door it came through.
                var result = await commands.ClearAsync(actors.Of(http), id, body?.Reason, ct);
                var verification = result.Value?.Verification is { } v ? ApiJson.Verification(v) : null;
                return result.Status switch
                {
                    CommandStatus.Done => Results.Json(new { outage = ApiJson.Outage(result.Value!.Outage!), verification }),
                    CommandStatus.Forbidden or CommandStatus.SessionEnded => TopologyEndpoints.Refusal(result),
                    CommandStatus.Conflict => Results.Problem(statusCode: StatusCodes.Status409Conflict,
                        title: verification is null ? "The outage cannot be cleared" : "Not a false positive: the outage was not cleared",
                        detail: result.Error,
                        extensions: new Dictionary<string, object?> { ["verification"] = verification, ["outage"] = result.Value?.Outage is { } o ? ApiJson.Outage(o) : null }),
                    CommandStatus.Failed when result.Error?.StartsWith("no outage", StringComparison.Ordinal) == true => ApiJson.NotFound(result.Error),
                    _ => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The outage cannot be cleared", detail: result.Error),
                };
            })
            .RequireAuthorization(Roles.ReadPolicy); // the admin role: OutageCommands.ClearAsync

        endpoints.MapGet("/api/meters", async (string? mapped, MeterQueries meters, CancellationToken ct) =>
            {
                // The work queue: listing every meter of a utility is not offered, only the unmapped ones.
                if (!string.Equals(mapped, "false", StringComparison.OrdinalIgnoreCase))
                {
                    return ApiJson.FieldProblem("mapped", $"'{mapped}' is not supported: use mapped=false for the unmapped meters");
                }

                var queue = await meters.UnmappedAsync(ct);
                return Results.Json(queue.Select(m => new
                {
                    id = m.MeterId,
                    guid = m.Guid,
                    unknownOutageId = m.OutageId,
                    lastEventAt = m.LastEventAt?.UtcDateTime,
                    mute = ApiJson.Mute(m.Mute),
                }));
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapGet("/api/meters/{id}/suggestions", async (string id, MeterQueries meters, CancellationToken ct) =>
            {
                if (await meters.SuggestAsync(id, ct) is not { } suggestions)
                {
                    return ApiJson.NotFound($"no meter '{id}' (give a meter id or GUID)");
                }

                return Results.Json(suggestions.Select(s => new
                {
                    transformer = s.Transformer,
                    score = s.Score,
                    distanceM = s.DistanceM,
                    coTimedMeters = s.CoTimedMeters,
                    reason = s.Reason,
                }));
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapPut("/api/meters/parents", async (ParentsBody? body, MeterCommands meters, ActorResolver actors, HttpContext http, CancellationToken ct) =>
            {
                // Assign many (not in api.md yet): each pair through the one remap, one audit row per meter (MeterCommands.RemapManyAsync).
                var pairs = (body?.Assignments ?? []).Select(a => (a?.Meter ?? "", a?.Transformer ?? "")).ToList();
                var result = await meters.RemapManyAsync(actors.Of(http), pairs, ct);
                return result.Status switch
                {
                    CommandStatus.Done => Results.Json(new
                    {
                        done = result.Value!.Count(r => r.Status == CommandStatus.Done),
                        results = result.Value!.Select(r => new
                        {
                            meter = r.Meter,
                            transformer = r.Transformer,
                            status = r.Status.ToString().ToLowerInvariant(),
                            error = r.Error,
                            outage = r.Outage is { } o ? ApiJson.Outage(o) : null,
                        }),
                    }),
                    CommandStatus.Forbidden or CommandStatus.SessionEnded => TopologyEndpoints.Refusal(result),
                    _ => ApiJson.FieldProblem(result.Field ?? MeterCommands.AssignmentsField, result.Error ?? "remap failed"),
                };
            })
            .RequireAuthorization(Roles.ReadPolicy); // the admin role: MeterCommands

        endpoints.MapGet("/api/meters/{id}", async (string id, MeterQueries meters, CancellationToken ct) =>
            {
                if (await meters.FindAsync(id, LastEvents, ct) is not { } meter)
                {
                    return ApiJson.NotFound($"no meter '{id}' (give a meter id or GUID)");
                }

                var (status, feature) = (meter.Status, meter.Feature);
                var newest = meter.LastEvents.Count > 0 ? meter.LastEvents[0] : null;
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
                    mute = ApiJson.Mute(meter.Mute),
                    lastEvents = meter.LastEvents.Select(ApiJson.Event),
                    testResults = meter.TestResults.Select(t => t.UtcDateTime),
                });
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapGet("/api/power-status", async (string? meters, string? transformer, string? device, PowerStatusQueries power, ActorResolver actors, HttpContext http, CancellationToken ct) =>
            {
                // Asks each meter now (wire-format.md §6): bounded by MeterClient:MaxConcurrency and MeterClient:RequestTimeoutMs.
                var result = await power.CheckAsync(actors.Of(http), meters, transformer, device, ct);
                return result.Status switch
                {
                    CommandStatus.Done => Results.Json(result.Value!.Select(r => new { meter = r.Meter, status = r.Status, uptimeS = r.UptimeS, voltageMv = r.VoltageMv, at = r.At.UtcDateTime })),
                    CommandStatus.Forbidden or CommandStatus.SessionEnded => TopologyEndpoints.Refusal(result),
                    _ => ApiJson.FieldProblem(result.Field ?? "meters", result.Error ?? "bad request"),
                };
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapPut("/api/meters/{id}/parent", async (string id, ParentBody? body, MeterCommands meters, ActorResolver actors, HttpContext http, CancellationToken ct) =>
            {
                var tx = body?.Transformer ?? "";
                // The one remap (MeterCommands): the role and session checks, and one audit row with the actor — the signed-in
                // user, or api-key:<role>:<hash prefix> for a machine client (ApiKeyAuthenticationHandler.ActorName).
                var result = await meters.RemapAsync(actors.Of(http), id, tx, ct);
                return result.Status switch
                {
                    CommandStatus.Done => Results.Json(new { meter = id, transformer = tx, outage = result.Value is { } o ? ApiJson.Outage(o) : null }),
                    CommandStatus.Forbidden or CommandStatus.SessionEnded => TopologyEndpoints.Refusal(result),
                    CommandStatus.Invalid => ApiJson.FieldProblem(result.Field ?? "id", result.Error ?? "remap failed"),
                    _ => ApiJson.FieldProblem("id", result.Error ?? "remap failed"),
                };
            })
            .RequireAuthorization(Roles.ReadPolicy); // the admin role: MeterCommands

        endpoints.MapGet("/api/meters/chronic", async (MeterQueries meters, CancellationToken ct) =>
                Results.Json((await meters.ChronicAsync(ct)).Select(c => new
                {
                    id = c.MeterId,
                    guid = c.Guid,
                    clears = c.Clears,
                    lastClearAt = c.LastClearAt.UtcDateTime,
                    mute = ApiJson.Mute(c.Mute),
                })))
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapPost("/api/meters/{id}/mute", async (string id, MuteBody? body, MeterCommands meters, ActorResolver actors, HttpContext http, CancellationToken ct) =>
            {
                DateTimeOffset? until = null;
                if (!string.IsNullOrWhiteSpace(body?.Until))
                {
                    if (!DateTimeOffset.TryParse(body.Until, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    {
                        return ApiJson.FieldProblem(MeterCommands.UntilField, $"'{body.Until}' is not a time: give ISO 8601, e.g. 2026-01-31T00:00:00Z");
                    }

                    until = parsed;
                }

                // The one mute (MeterCommands.MuteAsync): admin only, validated, audited once whatever the door.
                var result = await meters.MuteAsync(actors.Of(http), id, body?.Reason, until, ct);
                return MuteAnswer(id, result, () => Results.Json(new { meter = id, mute = ApiJson.Mute(result.Value) }));
            })
            .RequireAuthorization(Roles.ReadPolicy); // the admin role: MeterCommands

        endpoints.MapDelete("/api/meters/{id}/mute", async (string id, MeterCommands meters, ActorResolver actors, HttpContext http, CancellationToken ct) =>
            {
                var result = await meters.UnmuteAsync(actors.Of(http), id, ct);
                return MuteAnswer(id, result, () => Results.Json(new { meter = id, mute = (object?)null }));
            })
            .RequireAuthorization(Roles.ReadPolicy); // the admin role: MeterCommands
        return endpoints;
    }

    private static IResult MuteAnswer<T>(string id, CommandResult<T> result, Func<IResult> done) => result.Status switch
    {
        CommandStatus.Done => done(),
        CommandStatus.Forbidden or CommandStatus.SessionEnded => TopologyEndpoints.Refusal(result),
        CommandStatus.Invalid => ApiJson.FieldProblem(result.Field ?? "id", result.Error ?? "invalid"),
        _ when result.Error?.StartsWith("no meter", StringComparison.Ordinal) == true => ApiJson.NotFound(result.Error),
        _ => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Meter {id}: not done", detail: result.Error),
    };

    public sealed record MuteBody(string? Reason, string? Until);

    public sealed record ParentBody(string? Transformer);

    public sealed record ParentsBody(IReadOnlyList<Assignment?>? Assignments);

    public sealed record Assignment(string? Meter, string? Transformer);

    public sealed record ClearBody(string? Reason);
}
