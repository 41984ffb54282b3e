using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;
using OpsConsole.Console.Server.Hubs;
using OpsConsole.Engine.Application.Push;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Tests.Coap;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The hub's <c>StatsChanged</c> pacing (api.md: at most once a second) with a hand-moved clock: the publisher's
/// timer fires only when the test advances it, and what it sends is recorded instead of going to clients.
/// </summary>
public sealed class OutageHubPublisherTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly IngestStats _stats = new();
    private readonly RecordingHub _hub = new();

    [Fact]
    public async Task StatsChanged_AtMostOnceASecond_CoalescedToTheLatest_AndOnlyWhenChanged()
    {
        var listeners = new HubListeners();
        listeners.Connected();
        using var publisher = new OutageHubPublisher(_hub, NoOutages.Instance, new OutageUpdates(NoOutages.Instance, _time, NullLogger<OutageUpdates>.Instance), _stats, _time, NullLogger<OutageHubPublisher>.Instance, listeners);
        await publisher.StartAsync(CancellationToken.None);
        try
        {
            await _time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(10));
            _stats.Accepted();
            _time.Advance(OutageHubPublisher.StatsInterval);
            Assert.Equal(1, await _hub.NextAcceptedAsync());

            // Three changes within the next second: no tick before the second is over, then one message with the latest.
            int fired = _time.Fired;
            _stats.Accepted();
            _stats.Accepted();
            _time.Advance(OutageHubPublisher.StatsInterval - TimeSpan.FromMilliseconds(1));
            _stats.Accepted();
            Assert.Equal(fired, _time.Fired);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(fired + 1, _time.Fired);
            Assert.Equal(4, await _hub.NextAcceptedAsync());

            // A second without change sends nothing: the next message is the next change.
            _time.Advance(OutageHubPublisher.StatsInterval);
            _stats.Accepted();
            _time.Advance(OutageHubPublisher.StatsInterval);
            Assert.Equal(5, await _hub.NextAcceptedAsync());
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task OutageChanged_ForEveryOutageThatChanged_CoalescedToItsLatestState_NeverDropped()
    {
        var feed = new RaisedFeed();
        var listeners = new HubListeners();
        using var publisher = new OutageHubPublisher(_hub, feed, new OutageUpdates(feed, _time, NullLogger<OutageUpdates>.Instance), _stats, _time,
            NullLogger<OutageHubPublisher>.Instance, listeners);
        await publisher.StartAsync(CancellationToken.None);
        try
        {
            listeners.Connected();
            feed.Raise(Change("O-1", OutageState.Suspected, OutageChangeKinds.Created));
            Assert.Equal(("O-1", "Suspected"), await _hub.NextOutageAsync());

            // Within the next interval: O-1 confirmed then acknowledged, O-2 created. One message per outage, O-1's latest state.
            feed.Raise(Change("O-1", OutageState.Confirmed, OutageChangeKinds.StateChanged));
            feed.Raise(Change("O-2", OutageState.Suspected, OutageChangeKinds.Created), Change("O-1", OutageState.Acknowledged, OutageChangeKinds.StateChanged));
            _time.Advance(OutageHubPublisher.OutageInterval);

            Assert.Equal(("O-1", "Acknowledged"), await _hub.NextOutageAsync());
            Assert.Equal(("O-2", "Suspected"), await _hub.NextOutageAsync());
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
        }

        Assert.Equal(3, _hub.OutagesSent);
    }

    private static OutageChange Change(string id, OutageState state, OutageChangeKinds kinds) =>
        new(kinds, new Outage(id, OutageLevel.Transformer, "T1", state, 3, 1, 0, DateTimeOffset.UnixEpoch, null, null, 1, "test", null, [], [], [], 1), null);

    /// <summary>A feed the test raises, as the correlation loop does: snapshot first, then the changes.</summary>
    private sealed class RaisedFeed : IOutageFeed
    {
        public OutageSnapshot Current { get; private set; } = OutageSnapshot.Empty;

        public event Action<IReadOnlyList<OutageChange>>? Changed;

        public void Raise(params OutageChange[] changes)
        {
            Current = new OutageSnapshot([.. Current.All.Where(o => !changes.Any(c => c.Outage.Id == o.Id)), .. changes.Select(c => c.Outage)]);
            Changed?.Invoke(changes);
        }
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

    private sealed class RecordingHub : IHubContext<OutageHub>
    {
        private readonly Recorder _recorder = new();

        public IHubClients Clients => _recorder;

        public IGroupManager Groups => throw new NotSupportedException();

        public int OutagesSent => _recorder.OutagesSent;

        /// <summary>The id and state of the next <c>OutageChanged</c> sent.</summary>
        public async Task<(string Id, string State)> NextOutageAsync()
        {
            while (true)
            {
                var (method, arg) = await _recorder.Sent.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                if (method == OutageHub.OutageChanged)
                {
                    var json = JsonSerializer.SerializeToElement(arg, JsonSerializerOptions.Web);
                    return (json.GetProperty("id").GetString()!, json.GetProperty("state").GetString()!);
                }
            }
        }

        /// <summary>The <c>accepted</c> count of the next <c>StatsChanged</c> sent.</summary>
        public async Task<long> NextAcceptedAsync()
        {
            while (true)
            {
                var (method, arg) = await _recorder.Sent.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                if (method == OutageHub.StatsChanged)
                {
                    return JsonSerializer.SerializeToElement(arg).GetProperty("accepted").GetInt64();
                }
            }
        }
    }

    private sealed class Recorder : IHubClients, IClientProxy
    {
        public Channel<(string Method, object? Arg)> Sent { get; } = Channel.CreateUnbounded<(string, object?)>();

        public IClientProxy All => this;

        public IClientProxy AllExcept(IReadOnlyList<string> excludedConnectionIds) => this;

        public IClientProxy Client(string connectionId) => this;

        public IClientProxy Clients(IReadOnlyList<string> connectionIds) => this;

        public IClientProxy Group(string groupName) => this;

        public IClientProxy GroupExcept(string groupName, IReadOnlyList<string> excludedConnectionIds) => this;

        public IClientProxy Groups(IReadOnlyList<string> groupNames) => this;

        public IClientProxy User(string userId) => this;

        public IClientProxy Users(IReadOnlyList<string> userIds) => this;

        private int _outagesSent;

        public int OutagesSent => Volatile.Read(ref _outagesSent);

        public Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            if (method == OutageHub.OutageChanged)
            {
                Interlocked.Increment(ref _outagesSent);
            }

            Sent.Writer.TryWrite((method, args.Length > 0 ? args[0] : null));
            return Task.CompletedTask;
        }
    }
}
