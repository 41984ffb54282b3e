using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Health;

/// <summary>Healthy when the embedded store answers and a network is in force.</summary>
public sealed class StoreHealthCheck(IStorageEngine store, TopologyState topology) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!store.IsHealthy())
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the embedded store does not answer"));
        }

        return Task.FromResult(topology.IsLoaded
            ? HealthCheckResult.Healthy($"{topology.Current.MeterCount} meters in the network")
            : HealthCheckResult.Unhealthy("no network loaded yet"));
    }
}
