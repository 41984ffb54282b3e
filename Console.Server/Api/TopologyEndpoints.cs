using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Topology;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Console.Server.Api;

/// <summary>
/// <c>GET/POST /api/topology</c>, <c>POST /api/topology/rollback</c> (api.md): the stored network as GeoJSON; an admin
/// import replaces it whole, guarded (dry run, removal limit, force) and audited; the previous one can be put back.
/// </summary>
public static class TopologyEndpoints
{
    public static IEndpointRouteBuilder MapTopologyApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/topology", async (ITopologyStore store, CorrelationService correlation, HttpContext http, CancellationToken ct) =>
            {
                var import = await store.LoadAsync(ct);
                // Remaps in force are written back: a meter mapped from the work queue (or the board) leaves with its new parent.
                var overrides = await correlation.QueryAsync(c => c.ParentOverrides, ct);
                IEnumerable<TopologyFeature> features = import?.Features ?? [];
                if (overrides.Count > 0)
                {
                    features = features.Select(f => f.Kind == ElementKind.Meter && overrides.TryGetValue(f.Id, out var tx) ? f with { Parent = tx } : f);
                }

                http.Response.ContentType = "application/geo+json";
                await TopologyGeoJsonWriter.WriteAsync(http.Response.Body, features, ct);
            })
            .RequireAuthorization(Roles.ReadPolicy);

        endpoints.MapPost("/api/topology", async (HttpContext http, bool? dryRun, bool? force, TopologyCommands commands, ActorResolver actors, IOptions<TopologyOptions> options, CancellationToken ct) =>
            {
                // The role is the command's to check (and a refusal its to audit), before the body is read.
                var actor = actors.Of(http);
                if (commands.RefuseImport(actor) is { } refused)
                {
                    return Refusal(refused);
                }

                // A network of a million meters is far above the server's general body limit: this endpoint has its own.
                if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                {
                    limit.MaxRequestBodySize = options.Value.MaxImportBytes;
                }

                if (http.Request.ContentLength > options.Value.MaxImportBytes)
                {
                    return RequestTooLarge.Problem(options.Value.MaxImportBytes, "Topology:MaxImportBytes");
                }

                if (!IsJson(http.Request.ContentType))
                {
                    return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                        detail: $"send the network as application/geo+json or application/json, not '{http.Request.ContentType}'");
                }

                // Streamed: the reader takes the body feature by feature, never as one buffer.
                TopologyImport import;
                try
                {
                    import = await TopologyGeoJsonReader.ReadAsync(http.Request.Body, ct);
                }
                catch (BadHttpRequestException tooLarge) when (tooLarge.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return RequestTooLarge.Problem(options.Value.MaxImportBytes, "Topology:MaxImportBytes");
                }

                var done = await commands.ImportAsync(actor, import, dryRun == true, force == true, "POST /api/topology", ct);
                if (done.Value is not { } result)
                {
                    return Refusal(done);
                }

                var d = result.Difference;
                switch (result.Outcome)
                {
                    case TopologyImportOutcome.Invalid:
                        var findings = import.Findings.Select(f => f.ToString()).ToArray();
                        return Results.ValidationProblem(new Dictionary<string, string[]> { ["features"] = findings },
                            detail: $"the topology is invalid ({import.Errors.Count()} errors); nothing was changed");
                    case TopologyImportOutcome.Refused:
                        return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The import would remove too many meters",
                            detail: string.Create(CultureInfo.InvariantCulture,
                                $"it would remove {d!.MetersRemoved} of the {d.MetersBefore} meters ({d.MeterRemovalFraction:P0}), more than Topology:MaxRemovalFraction = {result.MaxRemovalFraction}; nothing was changed. Check the difference with ?dryRun=true; to apply it anyway, send it again with ?force=true"),
                            extensions: new Dictionary<string, object?>
                            {
                                ["metersRemoved"] = d.MetersRemoved,
                                ["metersBefore"] = d.MetersBefore,
                                ["added"] = d.Added,
                                ["removed"] = d.Removed,
                                ["changed"] = d.Changed,
                            });
                    case TopologyImportOutcome.DryRun:
                        return Results.Json(new
                        {
                            dryRun = true,
                            features = import.Features.Count,
                            meters = d!.MetersAfter,
                            metersBefore = d.MetersBefore,
                            metersRemoved = d.MetersRemoved,
                            added = d.Added,
                            removed = d.Removed,
                            changed = d.Changed,
                            findings = import.Findings.Select(f => f.ToString()),
                        });
                    default:
                        return Results.Json(new
                        {
                            features = import.Features.Count,
                            meters = result.Topology!.MeterCount,
                            metersBefore = d!.MetersBefore,
                            metersRemoved = d.MetersRemoved,
                            added = d.Added,
                            removed = d.Removed,
                            changed = d.Changed,
                            warnings = import.Findings.Where(f => f.Severity != FindingSeverity.Error).Select(f => f.ToString()),
                            eventsReplayed = result.EventsReplayed,
                        });
                }
            })
            .RequireAuthorization(Roles.ReadPolicy) // signed-in callers only; the admin role is TopologyCommands' to check and audit
            .WithMetadata(new ImportSizeLimit(endpoints.ServiceProvider.GetRequiredService<IOptions<TopologyOptions>>()));

        endpoints.MapPost("/api/topology/rollback", async (HttpContext http, TopologyCommands commands, ActorResolver actors, CancellationToken ct) =>
            {
                var done = await commands.RollBackAsync(actors.Of(http), ct);
                if (done.Value is not { } result)
                {
                    return done.Status == CommandStatus.Conflict
                        ? Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing to roll back", detail: done.Error)
                        : Refusal(done);
                }

                var d = result.Difference!;
                return Results.Json(new
                {
                    features = result.Import.Features.Count,
                    meters = result.Topology!.MeterCount,
                    added = d.Added,
                    removed = d.Removed,
                    changed = d.Changed,
                    eventsReplayed = result.EventsReplayed,
                });
            })
            .RequireAuthorization(Roles.ReadPolicy); // the admin role: TopologyCommands
        return endpoints;
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType.Value ?? "";
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/geo+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>Topology:MaxImportBytes</c> as the endpoint's body limit, read when asked (the options are validated at start).</summary>
    private sealed class ImportSizeLimit(IOptions<TopologyOptions> options) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => options.Value.MaxImportBytes;
    }

    /// <summary>A refused command as HTTP: 403 for the role or a revoked session (already audited by the command).</summary>
    internal static IResult Refusal<T>(CommandResult<T> result) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: result.Error);
}
