using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using OpsConsole.Console.Server.Api;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Console.Server.Hubs;

/// <summary>
/// Forwards the correlation feed to hub clients: every change as <c>OutageChanged</c> (in order, off the
/// correlation loop through an unbounded queue: changes are few next to events), and the stats at most once
/// a second, only when they differ from the last ones sent (coalesced) or a client connected since, and only
/// while a client is connected (<see cref="HubListeners"/>): with nobody listening they are not even built.
/// </summary>
public sealed partial class OutageHubPublisher(IHubContext<OutageHub> hub, IOutageFeed feed, IngestStats stats, TimeProvider time,
    ILogger<OutageHubPublisher> logger, HubListeners listeners) : BackgroundService
{
    public static readonly TimeSpan StatsInterval = TimeSpan.FromSeconds(1);

    private readonly Channel<OutageChange> _changes = Channel.CreateUnbounded<OutageChange>(new UnboundedChannelOptions { SingleReader = true });

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        feed.Changed += OnChanged;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        feed.Changed -= OnChanged;
        _changes.Writer.TryComplete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnChanged(IReadOnlyList<OutageChange> changes)
    {
        foreach (var c in changes)
        {
            _changes.Writer.TryWrite(c);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(SendOutagesAsync(stoppingToken), SendStatsAsync(stoppingToken));

    private async Task SendOutagesAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var change in _changes.Reader.ReadAllAsync(ct).ConfigureAwait(false))
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
        catch (OperationCanceledException)
        {
            // stopping
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
