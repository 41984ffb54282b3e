using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Health;

/// <summary>Degraded while the network in force has no meters: every meter is then unknown (404), whatever arrives.</summary>
public sealed class NetworkHealthCheck(TopologyState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var net = state.Current;
        return Task.FromResult(net.MeterCount > 0
            ? HealthCheckResult.Healthy($"{net.MeterCount} meters")
            : HealthCheckResult.Degraded("the network in force has no meters: import a network (POST /api/topology) or roll back (POST /api/topology/rollback)"));
    }
}
