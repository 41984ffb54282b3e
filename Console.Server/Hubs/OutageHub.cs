using Microsoft.AspNetCore.SignalR;

namespace OpsConsole.Console.Server.Hubs;

/// <summary>
/// <c>/hubs/outages</c> (api.md): the server sends <c>OutageChanged(outage)</c> and <c>StatsChanged(stats)</c>;
/// clients send nothing. Same credentials as the REST API (read policy).
/// </summary>
public sealed class OutageHub : Hub
{
    public const string Path = "/hubs/outages";
    public const string OutageChanged = "OutageChanged";
    public const string StatsChanged = "StatsChanged";
}
