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

        public Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            Sent.Writer.TryWrite((method, args.Length > 0 ? args[0] : null));
            return Task.CompletedTask;
        }
    }
}
