using Microsoft.AspNetCore.Components.Server.Circuits;

namespace OpsConsole.Console.Server.Security.Circuits;

/// <summary>
/// Fills the circuit's <see cref="CircuitRemoteAddress"/> from its connection when it opens, and again when it
/// reconnects (possibly from another address), before any other circuit handler runs.
/// </summary>
public sealed class CircuitRemoteAddressHandler(CircuitRemoteAddress address) : CircuitHandler
{
    public override int Order => int.MinValue;

    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        address.Set(HubCallerAddressFilter.Current);
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        address.Set(HubCallerAddressFilter.Current);
        return Task.CompletedTask;
    }
}
