using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using OpsConsole.Console.Server.Api;
using OpsConsole.Engine.Application.Push;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Console.Server.Hubs;

/// <summary>
/// Forwards the correlation feed to hub clients through the same throttled subscription as the board's
/// (<see cref="OutageUpdates"/>): <c>OutageChanged</c> for every outage created or changed (level, state, restored,
/// cleared, counts), at most every <see cref="OutageInterval"/> per outage with its latest state — a storm's many
/// changes to one outage coalesce, its latest state is never dropped, and memory is bounded by the outages. The stats
/// at most once a second, only when they differ from the last ones sent (coalesced) or a client connected since, and
/// only while a client is connected (<see cref="HubListeners"/>): with nobody listening they are not even built.
/// </summary>
public sealed partial class OutageHubPublisher(IHubContext<OutageHub> hub, IOutageFeed feed, OutageUpdates updates, IngestStats stats, TimeProvider time,
    ILogger<OutageHubPublisher> logger, HubListeners listeners) : BackgroundService
{
    public static readonly TimeSpan StatsInterval = TimeSpan.FromSeconds(1);

    /// <summary>The least time between two pushes of outage changes.</summary>
    public static readonly TimeSpan OutageInterval = TimeSpan.FromMilliseconds(100);

    private OutageSubscription? _outages;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _outages = updates.Subscribe("hub", OutageInterval, SendOutagesAsync);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _outages?.Dispose();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => SendStatsAsync(stoppingToken);

    /// <summary>One message per outage that changed since the last push, oldest change first; none while nobody is connected.</summary>
    private async Task SendOutagesAsync(OutageUpdate update, CancellationToken ct)
    {
        if (listeners.Count <= 0)
        {
            return; // nobody to tell: a client that connects later reads the current outages over REST
        }

        foreach (var change in update.Changes)
        {
            try
            {
                await hub.Clients.All.SendAsync(OutageHub.OutageChanged, ApiJson.Outage(change.Outage), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSendFault(logger, ex);
            }
        }
    }

    private async Task SendStatsAsync(CancellationToken ct)
    {
        string? last = null;
        long generation = -1;
        using var timer = new PeriodicTimer(StatsInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if (listeners.Count <= 0)
                {
                    continue; // nobody connected: nothing to build, serialise or send
                }

                long connections = listeners.Generation;
                var current = StatsEndpoints.Build(stats, feed);
                var json = JsonSerializer.Serialize(current);
                if (json == last && connections == generation)
                {
                    continue;
                }

                last = json;
                generation = connections;
                try
                {
                    await hub.Clients.All.SendAsync(OutageHub.StatsChanged, current, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSendFault(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Sending to hub clients failed")]
    private static partial void LogSendFault(ILogger logger, Exception ex);
}
