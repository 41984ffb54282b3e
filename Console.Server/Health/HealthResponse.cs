using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace OpsConsole.Console.Server.Health;

/// <summary><c>GET /healthz</c>: 200 with each check's status when healthy, 503 otherwise.</summary>
internal static class HealthResponse
{
    public static HealthCheckOptions Options { get; } = new()
    {
        ResponseWriter = async (context, report) =>
        {
            context.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(context.Response.Body, new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
            }, cancellationToken: context.RequestAborted);
        },
    };
}
