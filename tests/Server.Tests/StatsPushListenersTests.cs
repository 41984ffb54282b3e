using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;
using OpsConsole.Console.Server.Hubs;
using OpsConsole.Engine.Application.Push;
using OpsConsole.Console.Server.Outages;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Tests.Coap;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Issue 11 finding 2: the stats are pushed only while someone listens — the hub's <c>StatsChanged</c> only
/// while a client is connected, the Blazor board built only while a page subscribes. Clocks moved by hand.
/// </summary>
public sealed class StatsPushListenersTests
{
    [Fact]
    public async Task HubStats_NotSentWithNobodyConnected_SentToANewcomerEvenWhenUnchanged_StoppedWhenTheyLeave()
    {
        var time = new ManualTimeProvider();
        var stats = new IngestStats();
        var hub = new Recorder();
        var listeners = new HubListeners();
        using var publisher = new OutageHubPublisher(hub, NoOutages.Instance, new OutageUpdates(NoOutages.Instance, time, NullLogger<OutageUpdates>.Instance), stats, time, NullLogger<OutageHubPublisher>.Instance, listeners);
        await publisher.StartAsync(CancellationToken.None);
        try
        {
            await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(10));
            stats.Accepted();
            for (int i = 0; i < 5; i++)
            {
                time.Advance(OutageHubPublisher.StatsInterval);
            }

            // A client connects; the stats did not change since, yet it gets them at the next tick.
            listeners.Connected();
            time.Advance(OutageHubPublisher.StatsInterval);
            Assert.Equal(1, await hub.NextAcceptedAsync());

            // A second client: it gets the same, unchanged stats too.
            listeners.Connected();
            time.Advance(OutageHubPublisher.StatsInterval);
            Assert.Equal(1, await hub.NextAcceptedAsync());

            // Everyone leaves: changes are no longer sent.
            listeners.Disconnected();
            listeners.Disconnected();
            stats.Accepted();
            for (int i = 0; i < 5; i++)
            {
                time.Advance(OutageHubPublisher.StatsInterval);
            }

            // The first message after a reconnect carries the latest figure: nothing was queued meanwhile.
            listeners.Connected();
            stats.Accepted();
            time.Advance(OutageHubPublisher.StatsInterval);
            Assert.Equal(3, await hub.NextAcceptedAsync());
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
        }

        Assert.Equal(3, hub.StatsSent);
    }

    [Fact]
    public async Task Board_NotBuiltWhileNoPageListens_FreshWhenAPageSubscribes()
    {
        var time = new ManualTimeProvider();
        await using var host = await RunningHost.StartAsync(b => b.Services.AddSingleton<TimeProvider>(time));
        var board = host.Get<OutageBoardSource>();
        long idle = board.Builds;

        time.Advance(TimeSpan.FromSeconds(5)); // five samples taken, nothing built
        Assert.Equal(idle, board.Builds);

        // A page opens: it is called soon after subscribing, and reads a state built then.
        var calls = Channel.CreateUnbounded<long>();
        using (board.Subscribe(() =>
        {
            _ = board.Current;
            calls.Writer.TryWrite(board.Builds);
            return Task.CompletedTask;
        }))
        {
            long first = await calls.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(idle + 1, first);

            // A second on, new ingest figures: the page is called again and the board rebuilt with them.
            time.Advance(TimeSpan.FromSeconds(1));
            long next = await calls.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(first + 1, next);
            Assert.Equal(1, board.Listening);
        }

        // The page closes: nothing is built any more.
        Assert.Equal(0, board.Listening);
        long open = board.Builds;
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(open, board.Builds);
    }

    private sealed class NoOutages : IOutageFeed
    {
        public static readonly NoOutages Instance = new();

        public OutageSnapshot Current => OutageSnapshot.Empty;

        public event Action<IReadOnlyList<OutageChange>>? Changed
        {
            add { }
            remove { }
        }
    }

    /// <summary>Records what the publisher sends instead of sending it.</summary>
    private sealed class Recorder : IHubContext<OutageHub>
    {
        private readonly Proxy _proxy = new();

        public int StatsSent => _proxy.StatsSent;

        public IHubClients Clients => _proxy;

        public IGroupManager Groups => throw new NotSupportedException();

        public async Task<long> NextAcceptedAsync()
        {
            var arg = await _proxy.Stats.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            return JsonSerializer.SerializeToElement(arg).GetProperty("accepted").GetInt64();
        }
    }

    private sealed class Proxy : IHubClients, IClientProxy
    {
        private int _statsSent;

        public Channel<object?> Stats { get; } = Channel.CreateUnbounded<object?>();

        public int StatsSent => Volatile.Read(ref _statsSent);

        public IClientProxy All => this;

        public IClientProxy AllExcept(IReadOnlyList<string> excludedConnectionIds) => this;

        public IClientProxy Client(string connectionId) => this;

        public IClientProxy Clients(IReadOnlyList<string> connectionIds) => this;

        public IClientProxy Group(string groupName) => this;

        public IClientProxy GroupExcept(string groupName, IReadOnlyList<string> excludedConnectionIds) => this;

        public IClientProxy Groups(IReadOnlyList<string> groupNames) => this;

        public IClientProxy User(string userId) => this;

        public IClientProxy Users(IReadOnlyList<string> userIds) => this;

        public Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            if (method == OutageHub.StatsChanged)
            {
                Interlocked.Increment(ref _statsSent);
                Stats.Writer.TryWrite(args.Length > 0 ? args[0] : null);
            }

            return Task.CompletedTask;
        }
    }
}
