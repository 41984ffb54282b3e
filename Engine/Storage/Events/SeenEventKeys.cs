using System.Collections.Concurrent;

namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// Every event key (GUID, epoch, event id) seen, kept per meter as ranges of consecutive
/// (epoch, event id) values: what the §5 duplicate check and the store's idempotency compare against.
/// Exact and thread-safe.
/// </summary>
/// <remarks>
/// A meter numbers its events in sequence (wire-format.md §3: "per-meter event sequence number"), so
/// a meter's keys collapse to one range per epoch plus one per gap (an event that never arrived).
/// Memory therefore follows the meters and the gaps, not the events: a one-minute flood of 6 million
/// events from 4,000 meters holds about 4,000 small range lists, where a set of every key grows by
/// ~400 MB.
/// <para>Bounded: a meter keeps at most <see cref="MaxRanges"/> ranges (default <see cref="MaxRangesPerMeter"/>). One more gap joins its two
/// oldest ranges, so the events missing between them count as seen from then on: a very late one is
/// acknowledged as a duplicate instead of recorded. Keys are only ever added by the bound, never forgotten, so
/// nothing once seen can be accepted again (no replay hole). Memory is therefore at most meters ×
/// <see cref="MaxRangesPerMeter"/> × 16 bytes (meters are those of the topology: an unknown system title is
/// refused before this check), about 51 MB for a 50,000-meter network whose every meter has 64 gaps, ~2 MB in
/// the usual case of one range per meter. Events deleted by retention keep their keys here as one range per
/// meter from 0 to the highest deleted key (<see cref="AddThrough"/>).</para>
/// </remarks>
public sealed class SeenEventKeys
{
    /// <summary>Ranges a meter keeps at most by default; a gap beyond that fills the oldest one.</summary>
    public const int MaxRangesPerMeter = 64;

    private readonly ConcurrentDictionary<Guid, Ranges> _meters = new();
    private readonly int _maxRanges;

    /// <param name="maxRangesPerMeter">The bound (at least 2); <see cref="int.MaxValue"/> keeps every gap (exact, unbounded).</param>
    public SeenEventKeys(int maxRangesPerMeter = MaxRangesPerMeter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRangesPerMeter, 2);
        _maxRanges = maxRangesPerMeter;
    }

    /// <summary>The most ranges one meter keeps.</summary>
    public int MaxRanges => _maxRanges;

    /// <summary>Meters with at least one key.</summary>
    public int MeterCount => _meters.Count;

    /// <summary>Keys held (a snapshot).</summary>
    public long Count => _meters.Values.Sum(r => r.Count);

    /// <summary>Ranges held, over all meters: what the memory follows (a snapshot).</summary>
    public long RangeCount => _meters.Values.Sum(r => (long)r.RangeCount);

    /// <summary>Every key (a snapshot, for diagnostics and tests: it enumerates each key).</summary>
    public IReadOnlyCollection<EventKey> Keys =>
        [.. _meters.SelectMany(m => m.Value.Snapshot().SelectMany(r => Expand(m.Key, r)))];

    public bool Contains(EventKey key) => _meters.TryGetValue(key.MeterId, out var r) && r.Contains(Pack(key));

    /// <summary>Adds the key; false when it is held already.</summary>
    public bool TryAdd(EventKey key) => _meters.GetOrAdd(key.MeterId, static (_, max) => new Ranges(max), _maxRanges).TryAdd(Pack(key)); // static: no closure per event (74 B a datagram)

    /// <summary>Counts every key of <paramref name="meter"/> up to the packed (epoch, event id) <paramref name="through"/> as seen.</summary>
    public void AddThrough(Guid meter, ulong through) => _meters.GetOrAdd(meter, static (_, max) => new Ranges(max), _maxRanges).AddThrough(through);

    /// <summary>The largest number of ranges any one meter holds (a snapshot).</summary>
    public int MaxRangesOfAnyMeter => _meters.IsEmpty ? 0 : _meters.Values.Max(r => r.RangeCount);

    /// <summary>Forgets the key (an event whose recording was abandoned).</summary>
    public bool Remove(EventKey key) => _meters.TryGetValue(key.MeterId, out var r) && r.Remove(Pack(key));

    /// <summary>An independent copy.</summary>
    public SeenEventKeys Clone()
    {
        var copy = new SeenEventKeys(_maxRanges);
        foreach (var (meter, ranges) in _meters)
        {
            copy._meters[meter] = new Ranges(_maxRanges, ranges.Snapshot());
        }

        return copy;
    }

    /// <summary>Every meter's ranges of packed (epoch ≪ 32 | event id) values, sorted (a snapshot: for checkpoints).</summary>
    public IEnumerable<(Guid Meter, IReadOnlyList<(ulong First, ulong Last)> Ranges)> Export() =>
        _meters.Select(m => (m.Key, (IReadOnlyList<(ulong First, ulong Last)>)m.Value.Snapshot()));

    /// <summary>Puts back one meter's ranges as <see cref="Export"/> gave them (sorted, disjoint, non-adjacent), replacing what it held.</summary>
    public void Import(Guid meter, IReadOnlyList<(ulong First, ulong Last)> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        for (int i = 0; i < ranges.Count; i++)
        {
            if (ranges[i].First > ranges[i].Last || (i > 0 && ranges[i - 1].Last + 1 >= ranges[i].First))
            {
                throw new InvalidDataException($"meter {meter}: key ranges are not sorted, disjoint and apart");
            }
        }

        _meters[meter] = new Ranges(_maxRanges, [.. ranges]);
    }

    internal static ulong Pack(EventKey key) => ((ulong)key.Epoch << 32) | key.EventId;

    private static IEnumerable<EventKey> Expand(Guid meter, (ulong First, ulong Last) range)
    {
        for (ulong v = range.First; v <= range.Last; v++)
        {
            yield return new EventKey(meter, (ushort)(v >> 32), (uint)v);
        }
    }

    /// <summary>Sorted, disjoint, non-adjacent inclusive ranges of packed (epoch, event id) values.</summary>
    private sealed class Ranges
    {
        private readonly List<(ulong First, ulong Last)> _ranges;
        private readonly int _max;

        public Ranges(int max)
        {
            _max = max;
            _ranges = new(1);
        }

        public Ranges(int max, List<(ulong First, ulong Last)> ranges)
        {
            _max = max;
            _ranges = ranges;
        }

        public long Count
        {
            get
            {
                lock (_ranges)
                {
                    return _ranges.Sum(r => (long)(r.Last - r.First + 1));
                }
            }
        }

        public int RangeCount
        {
            get
            {
                lock (_ranges)
                {
                    return _ranges.Count;
                }
            }
        }

        public List<(ulong First, ulong Last)> Snapshot()
        {
            lock (_ranges)
            {
                return [.. _ranges];
            }
        }

        public bool Contains(ulong v)
        {
            lock (_ranges)
            {
                return IndexOf(v) >= 0;
            }
        }

        public bool TryAdd(ulong v)
        {
            lock (_ranges)
            {
                int i = LowerBound(v); // first range with Last >= v
                if (i < _ranges.Count && _ranges[i].First <= v)
                {
                    return false;
                }

                bool joinsPrevious = i > 0 && _ranges[i - 1].Last + 1 == v;
                bool joinsNext = i < _ranges.Count && v + 1 == _ranges[i].First;
                if (joinsPrevious && joinsNext)
                {
                    _ranges[i - 1] = (_ranges[i - 1].First, _ranges[i].Last);
                    _ranges.RemoveAt(i);
                }
                else if (joinsPrevious)
                {
                    _ranges[i - 1] = (_ranges[i - 1].First, v);
                }
                else if (joinsNext)
                {
                    _ranges[i] = (v, _ranges[i].Last);
                }
                else
                {
                    _ranges.Insert(i, (v, v));
                    if (_ranges.Count > _max)
                    {
                        _ranges[0] = (_ranges[0].First, _ranges[1].Last); // the oldest gap counts as seen
                        _ranges.RemoveAt(1);
                    }
                }

                return true;
            }
        }

        public void AddThrough(ulong through)
        {
            lock (_ranges)
            {
                // Every range starting at or below through+1 joins [0, through].
                ulong last = through;
                int n = 0;
                while (n < _ranges.Count && (through == ulong.MaxValue || _ranges[n].First <= through + 1))
                {
                    last = Math.Max(last, _ranges[n].Last);
                    n++;
                }

                _ranges.RemoveRange(0, n);
                _ranges.Insert(0, (0, last));
            }
        }

        public bool Remove(ulong v)
        {
            lock (_ranges)
            {
                int i = IndexOf(v);
                if (i < 0)
                {
                    return false;
                }

                var (first, last) = _ranges[i];
                if (first == last)
                {
                    _ranges.RemoveAt(i);
                }
                else if (v == first)
                {
                    _ranges[i] = (first + 1, last);
                }
                else if (v == last)
                {
                    _ranges[i] = (first, last - 1);
                }
                else
                {
                    _ranges[i] = (first, v - 1);
                    _ranges.Insert(i + 1, (v + 1, last));
                }

                return true;
            }
        }

        private int IndexOf(ulong v)
        {
            int i = LowerBound(v);
            return i < _ranges.Count && _ranges[i].First <= v ? i : -1;
        }

        private int LowerBound(ulong v)
        {
            int lo = 0, hi = _ranges.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_ranges[mid].Last < v)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}
