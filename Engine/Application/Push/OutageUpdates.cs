using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;

namespace OpsConsole.Engine.Application.Push;

/// <summary>
/// The one push path from the correlation engine to every client: the hub publisher, the board and the map each hold an
/// <see cref="OutageSubscription"/> from here. It listens to <see cref="IOutageFeed.Changed"/> once and hands each
/// step's changes to every subscription, which coalesces and throttles them for its own consumer.
/// </summary>
public sealed class OutageUpdates : IDisposable
{
    private readonly IOutageFeed _feed;
    private readonly TimeProvider _time;
    private readonly ILogger<OutageUpdates> _logger;
    private readonly Lock _gate = new();
    private OutageSubscription[] _subscriptions = [];

    public OutageUpdates(IOutageFeed feed, TimeProvider time, ILogger<OutageUpdates> logger)
    {
        _feed = feed;
        _time = time;
        _logger = logger;
        _feed.Changed += OnChanged;
    }

    /// <summary>Subscriptions open now.</summary>
    public int Count => Volatile.Read(ref _subscriptions).Length;

    /// <summary>
    /// Calls <paramref name="callback"/> (on the thread pool, never two at once) with the outages changed since its
    /// previous call, at most once per <paramref name="minInterval"/>, until the subscription is disposed.
    /// </summary>
    public OutageSubscription Subscribe(string name, TimeSpan minInterval, Func<OutageUpdate, CancellationToken, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var subscription = new OutageSubscription(name, minInterval, callback, _feed, Unsubscribe, _time, _logger);
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions, subscription];
        }

        return subscription;
    }

    private void Unsubscribe(OutageSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions.Where(s => !ReferenceEquals(s, subscription))];
        }
    }

    private void OnChanged(IReadOnlyList<OutageChange> changes)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.Post(changes);
        }
    }

    public void Dispose()
    {
        _feed.Changed -= OnChanged;
        OutageSubscription[] open;
        lock (_gate)
        {
            open = _subscriptions;
        }

        foreach (var subscription in open)
        {
            subscription.Dispose();
        }
    }
}
