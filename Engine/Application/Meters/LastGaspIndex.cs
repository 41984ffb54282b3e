using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Application.Meters;

/// <summary>
/// Recorded last gasps (power-downs, meter clock) by meter and by second, over a bounded history: what the
/// unmapped-meter suggestions need to find the meters that went down with a meter, without reading every event per
/// request. Fed from the event store on demand (<see cref="CatchUp"/> reads only what was received since the last
/// call), so it needs no hook in the ingest and is rebuilt after a restart by the first request.
/// </summary>
/// <remarks>
/// Bounded: per meter its newest <see cref="PerMeter"/> last gasps, and only those of the last <c>history</c>.
/// Test power-downs and last gasps flagged for clock drift are left out: their times say nothing about the network.
/// Thread-safe (one lock; a catch-up holds it while it reads the store's new events).
/// </remarks>
public sealed class LastGaspIndex
{
    /// <summary>The newest last gasps kept per meter.</summary>
    public const int PerMeter = 16;

    /// <summary>How far back the index reaches by default.</summary>
    public static readonly TimeSpan DefaultHistory = TimeSpan.FromDays(90);

    /// <summary>Events received at most this long before the last one read may still be stored after it (ingest stages): read again, deduplicated.</summary>
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    private const long BucketTicks = TimeSpan.TicksPerSecond;

    private readonly EventStore? _store;
    private readonly TimeProvider _time;
    private readonly long _historyTicks;
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, List<Gasp>> _byMeter = [];
    private readonly Dictionary<long, List<Guid>> _byBucket = [];  // second of the meter's clock -> meters: candidates only, _byMeter is the truth
    private readonly PriorityQueue<long, long> _bucketAge = new(); // bucket keys, oldest first, for pruning
    private long _readThrough = long.MinValue;                    // received-at ticks the store has been read to

    /// <summary>An index over <paramref name="store"/>'s power-downs.</summary>
    public LastGaspIndex(EventStore store, TimeProvider time)
        : this(time, DefaultHistory) => _store = store;

    /// <summary>An index fed only through <see cref="Add"/> (tests, tools).</summary>
    public LastGaspIndex(TimeProvider time, TimeSpan history)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _historyTicks = history.Ticks;
    }

    /// <summary>Last gasps before this (meter clock, UTC ticks) are no longer evidence.</summary>
    public long Horizon => _time.GetUtcNow().UtcTicks - _historyTicks;

    /// <summary>Takes one recorded event: a genuine power-down is indexed (again: nothing), anything else ignored.</summary>
    public void Add(RecordedEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        lock (_gate)
        {
            AddLocked(recorded);
        }
    }

    /// <summary>Reads the events the store received since the last call (within the history) into the index.</summary>
    public void CatchUp()
    {
        if (_store is null)
        {
            return;
        }

        lock (_gate)
        {
            long horizon = Horizon;
            long from = Math.Max(horizon, _readThrough == long.MinValue ? long.MinValue : _readThrough - Overlap.Ticks);
            var start = new DateTimeOffset(Math.Max(from, DateTimeOffset.MinValue.UtcTicks), TimeSpan.Zero);
            foreach (var e in _store.Index.Between(start, DateTimeOffset.MaxValue, int.MaxValue))
            {
                AddLocked(e);
                _readThrough = Math.Max(_readThrough, e.ReceivedAt.UtcTicks);
            }

            Prune(horizon);
        }
    }

    /// <summary>The meter's indexed last gasps within the history (meter clock, UTC ticks), oldest first.</summary>
    public long[] GaspsOf(Guid meter)
    {
        lock (_gate)
        {
            long horizon = Horizon;
            return _byMeter.TryGetValue(meter, out var list) ? [.. list.Where(g => g.Ticks >= horizon).Select(g => g.Ticks)] : [];
        }
    }

    /// <summary>Adds to <paramref name="into"/> the meters that may have a last gasp within <paramref name="window"/> of <paramref name="ticks"/> (check with <see cref="GaspsOf"/>).</summary>
    public void MetersNear(long ticks, long window, HashSet<Guid> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_gate)
        {
            for (long b = (ticks - window) / BucketTicks; b <= (ticks + window) / BucketTicks; b++)
            {
                if (_byBucket.TryGetValue(b, out var meters))
                {
                    into.UnionWith(meters);
                }
            }
        }
    }

    private void AddLocked(RecordedEvent recorded)
    {
        var ev = recorded.Event;
        if (ev.EventCode != MeterEventCode.PowerDown || recorded.Flags.HasFlag(EventFlags.TimeSync))
        {
            return;
        }

        long ticks = ev.EventTime.UtcTicks;
        if (ticks < Horizon)
        {
            return;
        }

        if (!_byMeter.TryGetValue(ev.MeterId, out var list))
        {
            _byMeter[ev.MeterId] = list = new List<Gasp>(2);
        }

        var gasp = new Gasp(ticks, ev.Epoch, ev.EventId);
        if (list.Contains(gasp))
        {
            return; // read again after the overlap
        }

        int at = list.FindLastIndex(g => g.Ticks <= ticks) + 1;
        list.Insert(at, gasp);
        if (list.Count > PerMeter)
        {
            list.RemoveAt(0);
        }

        long bucket = ticks / BucketTicks;
        if (!_byBucket.TryGetValue(bucket, out var meters))
        {
            _byBucket[bucket] = meters = [];
            _bucketAge.Enqueue(bucket, bucket);
        }

        meters.Add(ev.MeterId);
    }

    private void Prune(long horizon)
    {
        long oldest = horizon / BucketTicks;
        while (_bucketAge.TryPeek(out long bucket, out _) && bucket < oldest)
        {
            _bucketAge.Dequeue();
            if (_byBucket.Remove(bucket, out var meters))
            {
                foreach (var m in meters)
                {
                    if (_byMeter.TryGetValue(m, out var list) && list.RemoveAll(g => g.Ticks < horizon) > 0 && list.Count == 0)
                    {
                        _byMeter.Remove(m);
                    }
                }
            }
        }
    }

    private readonly record struct Gasp(long Ticks, ushort Epoch, uint EventId);
}
