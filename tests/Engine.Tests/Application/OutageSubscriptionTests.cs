using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using OpsConsole.Engine.Application.Push;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Tests.Coap;

namespace OpsConsole.Engine.Tests.Application;

/// <summary>
/// The one push path (issue 12 item 2): a throttled, coalescing, disposable subscription to the outage feed. The clock is
/// moved by hand; the test waits for the throttler to arm its timer (an explicit signal) before it checks that nothing
/// was called early.
/// </summary>
public sealed class OutageSubscriptionTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

    private readonly FakeFeed _feed = new();
    private readonly WatchedTime _time = new();
    private readonly OutageUpdates _updates;
    private readonly Channel<OutageUpdate> _calls = Channel.CreateUnbounded<OutageUpdate>();

    public OutageSubscriptionTests() => _updates = new OutageUpdates(_feed, _time, NullLogger<OutageUpdates>.Instance);

    public void Dispose() => _updates.Dispose();

    private static OutageChange Change(string id, OutageState state, OutageChangeKinds kinds, int meters = 3) =>
        new(kinds, new Outage(id, OutageLevel.Transformer, "T1", state, meters, 1, 0, T0, null, null, 1, "test", null, [], [], [], 1), null);

    private Task<OutageUpdate> NextCall() => _calls.Reader.ReadAsync().AsTask().WaitAsync(Wait);

    private Task Record(OutageUpdate update, CancellationToken _)
    {
        _calls.Writer.TryWrite(update);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Subscription_CoalescesPerOutage_EveryKindAndTheLatestState_AtMostOncePerInterval()
    {
        using var subscription = _updates.Subscribe("test", Interval, Record);

        _feed.Raise(Change("O-1", OutageState.Suspected, OutageChangeKinds.Created));
        var first = await NextCall(); // the first change goes at once

        _feed.Raise(Change("O-1", OutageState.Confirmed, OutageChangeKinds.StateChanged));
        await _time.TimerArmed.Reader.ReadAsync().AsTask().WaitAsync(Wait); // the throttler waits out the interval
        _feed.Raise(Change("O-2", OutageState.Suspected, OutageChangeKinds.Created), Change("O-1", OutageState.Acknowledged, OutageChangeKinds.LevelChanged));
        Assert.False(_calls.Reader.TryPeek(out _));
        Assert.Equal(2, subscription.Pending);
        _time.Advance(Interval);
        var second = await NextCall();

        Assert.Equal([("O-1", OutageState.Suspected, OutageChangeKinds.Created)], first.Changes.Select(c => (c.Outage.Id, c.Outage.State, c.Kinds)));
        Assert.Equal(
            [("O-1", OutageState.Acknowledged, OutageChangeKinds.StateChanged | OutageChangeKinds.LevelChanged), ("O-2", OutageState.Suspected, OutageChangeKinds.Created)],
            second.Changes.Select(c => (c.Outage.Id, c.Outage.State, c.Kinds)));
        Assert.Same(_feed.Current, second.Snapshot);
        Assert.Equal(0, subscription.Pending);
    }

    [Fact]
    public async Task SlowConsumer_CallsNeverOverlap_AndItsNextCallHasTheLatestStateOnly()
    {
        var firstCallHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0, mostAtOnce = 0, calls = 0;
        using var subscription = _updates.Subscribe("slow", Interval, async (update, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref mostAtOnce, now);
            _calls.Writer.TryWrite(update);
            if (Interlocked.Increment(ref calls) == 1)
            {
                await firstCallHeld.Task;
            }

            Interlocked.Decrement(ref running);
        });

        _feed.Raise(Change("O-1", OutageState.Suspected, OutageChangeKinds.Created, meters: 1));
        await NextCall(); // held inside the callback
        for (int m = 2; m <= 1000; m++)
        {
            _feed.Raise(Change("O-1", OutageState.Confirmed, OutageChangeKinds.Reported, meters: m));
        }

        Assert.Equal(1, subscription.Pending); // a thousand changes to one outage take one entry
        firstCallHeld.SetResult();
        await _time.TimerArmed.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        _time.Advance(Interval);
        var next = await NextCall();

        var change = Assert.Single(next.Changes);
        Assert.Equal((1000, OutageState.Confirmed), (change.Outage.Meters, change.Outage.State));
        Assert.Equal(1, Volatile.Read(ref mostAtOnce));
    }

    [Fact]
    public async Task Disposed_NoLongerCalled_NorHeld()
    {
        var subscription = _updates.Subscribe("gone", Interval, Record);
        _feed.Raise(Change("O-1", OutageState.Suspected, OutageChangeKinds.Created));
        await NextCall();

        subscription.Dispose();
        _feed.Raise(Change("O-1", OutageState.Confirmed, OutageChangeKinds.StateChanged));
        _time.Advance(Interval);

        Assert.Equal(0, _updates.Count);
        Assert.Equal(0, subscription.Pending);
        Assert.False(_calls.Reader.TryPeek(out _));
    }

    [Fact]
    public async Task Execute_WithoutChanges_CallsWithAnEmptyList_AndTheCurrentSnapshot()
    {
        using var subscription = _updates.Subscribe("tick", Interval, Record);

        subscription.Execute();
        var call = await NextCall();

        Assert.Empty(call.Changes);
        Assert.Same(_feed.Current, call.Snapshot);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>The feed as the correlation loop raises it: the snapshot swapped first, then the changes.</summary>
    private sealed class FakeFeed : IOutageFeed
    {
        private readonly Dictionary<string, Outage> _outages = new(StringComparer.Ordinal);

        public OutageSnapshot Current { get; private set; } = OutageSnapshot.Empty;

        public event Action<IReadOnlyList<OutageChange>>? Changed;

        public void Raise(params OutageChange[] changes)
        {
            foreach (var c in changes)
            {
                _outages[c.Outage.Id] = c.Outage;
            }

            Current = new OutageSnapshot([.. _outages.Values]);
            Changed?.Invoke(changes);
        }
    }

    /// <summary>The hand-moved clock, telling the test each time a timer is created (the throttler waiting out its interval).</summary>
    private sealed class WatchedTime : TimeProvider
    {
        private readonly ManualTimeProvider _inner = new();

        public Channel<TimeSpan> TimerArmed { get; } = Channel.CreateUnbounded<TimeSpan>();

        public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

        public override long GetTimestamp() => _inner.GetTimestamp();

        public override long TimestampFrequency => _inner.TimestampFrequency;

        public void Advance(TimeSpan by) => _inner.Advance(by);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = _inner.CreateTimer(callback, state, dueTime, period);
            TimerArmed.Writer.TryWrite(dueTime);
            return timer;
        }
    }
}
