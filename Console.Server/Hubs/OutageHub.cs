using Microsoft.AspNetCore.SignalR;

namespace OpsConsole.Console.Server.Hubs;

/// <summary>
/// <c>/hubs/outages</c> (api.md): the server sends <c>OutageChanged(outage)</c> and <c>StatsChanged(stats)</c>;
/// clients send nothing. Same credentials as the REST API (read policy). Connections are counted in
/// <see cref="HubListeners"/>: the stats are pushed only while a client is connected.
/// </summary>
public sealed class OutageHub(HubListeners listeners) : Hub
{
    public const string Path = "/hubs/outages";
    public const string OutageChanged = "OutageChanged";
    public const string StatsChanged = "StatsChanged";

    public override Task OnConnectedAsync()
    {
        listeners.Connected();
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        listeners.Disconnected();
        return base.OnDisconnectedAsync(exception);
    }
}
