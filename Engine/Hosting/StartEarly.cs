using Microsoft.Extensions.Hosting;

namespace OpsConsole.Engine.Hosting;

/// <summary>
/// A hosted service that only begins some work at the host's first moment (registered before the network's load), for
/// work that does not need the network and would otherwise wait for it, e.g. reading the correlation checkpoint.
/// </summary>
public sealed class StartEarly(Action begin) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        begin();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
