using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Console.Server.Health;

/// <summary>Healthy while the CoAP listener is bound and all its loops run.</summary>
public sealed class ListenerHealthCheck(UdpIngestService listener) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(listener.IsListening
            ? HealthCheckResult.Healthy($"UDP port {listener.LocalEndPoint?.Port}")
            : HealthCheckResult.Unhealthy("the CoAP listener is not running"));
}
