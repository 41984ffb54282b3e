using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;

namespace OpsConsole.Engine.Application.Push;

/// <summary>
/// One consumer's view of the outage feed (the shape of Aspire Dashboard's <c>Subscription</c>): changes are gathered
/// per outage id (every kind that happened, the latest state of the outage) and handed to the callback at most once per
/// interval (<see cref="CallbackThrottler"/>), so a storm of thousands of changes a second becomes a few calls, each
/// with one entry per outage that changed and never an outdated one. Memory is bounded by the outages, not the changes.
/// Dispose to stop: no call starts after it.
/// </summary>
public sealed class OutageSubscription : IDisposable
{
    private readonly Lock _gate = new();
    private readonly CallbackThrottler _throttler;
    private readonly Func<OutageUpdate, CancellationToken, Task> _callback;
    private readonly IOutageFeed _feed;
    private readonly Action<OutageSubscription> _unsubscribe;
    private List<string> _order = [];
    private Dictionary<string, OutageChange> _pending = new(StringComparer.Ordinal);
    private int _disposed;

    internal OutageSubscription(string name, TimeSpan minInterval, Func<OutageUpdate, CancellationToken, Task> callback, IOutageFeed feed,
        Action<OutageSubscription> unsubscribe, TimeProvider time, ILogger logger)
    {
        Name = name;
        _callback = callback;
        _feed = feed;
        _unsubscribe = unsubscribe;
        _throttler = new CallbackThrottler(name, minInterval, RunAsync, time, logger);
    }

    public string Name { get; }

    /// <summary>Changes waiting for the next call (one per outage).</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _order.Count;
            }
        }
    }

    /// <summary>Asks for a call even without outage changes (e.g. other figures moved, or a newcomer needs the current state).</summary>
    public void Execute() => _throttler.Execute();

    /// <summary>On the correlation loop: quick, never blocks beyond a short lock.</summary>
    internal void Post(IReadOnlyList<OutageChange> changes)
    {
        lock (_gate)
        {
            foreach (var change in changes)
            {
                string id = change.Outage.Id;
                if (_pending.TryGetValue(id, out var earlier))
                {
                    _pending[id] = new OutageChange(earlier.Kinds | change.Kinds, change.Outage, change.MergedIntoId ?? earlier.MergedIntoId);
                }
                else
                {
                    _pending[id] = change;
                    _order.Add(id);
                }
            }
        }

        _throttler.Execute();
    }

    private Task RunAsync(CancellationToken cancellationToken)
    {
        List<string> order;
        Dictionary<string, OutageChange> pending;
        lock (_gate)
        {
            (order, _order) = (_order, []);
            (pending, _pending) = (_pending, new(StringComparer.Ordinal));
        }

        var changes = order.Select(id => pending[id]).ToArray();
        return _callback(new OutageUpdate(changes, _feed.Current), cancellationToken);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _unsubscribe(this);
            _throttler.Dispose();
        }
    }
}

/// <summary>
/// What a subscriber gets: the outages that changed since its previous call, in the order they first changed, each once
/// with every kind of change and its latest state; and the snapshot as of this call (at least as new as the changes).
/// </summary>
public sealed record OutageUpdate(IReadOnlyList<OutageChange> Changes, OutageSnapshot Snapshot);
