using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Correlation;

/// <summary>
/// Turns accepted meter events into outages: a deterministic, single-threaded state machine
/// over one <see cref="NetworkTopology"/> snapshot.
/// </summary>
/// <remarks>
/// <para><b>Time.</b> The engine never reads a clock. Its time is the <see cref="RecordedEvent.ReceivedAt"/>
/// of the events it is given and the times passed to <see cref="Advance"/>; the host calls
/// <see cref="Advance"/> when <see cref="NextDeadline"/> comes (e.g. from a <see cref="TimeProvider"/> timer).
/// Before an event is processed every deadline up to its receive time runs, so the outcome does
/// not depend on how often <see cref="Advance"/> is called: replaying the same events (and the
/// same operator operations and remaps, in the same order) rebuilds the same outages with the same ids.</para>
/// <para><b>Rules.</b></para>
/// <list type="number">
/// <item><b>Window.</b> The first genuine last gasp (code 1, not flagged <c>0x092</c>) behind a transformer
/// that is not already inside an open outage opens a window of <c>Correlation:WindowMs</c>; when it
/// ends the engine decides. A meter with no known transformer has a window of its own.</item>
/// <item><b>Levels.</b> A transformer is <i>affected</i> while at least one of its meters is down.
/// Two or more of its meters down: a Transformer outage (every meter behind it is a customer of it).
/// One meter down of a transformer with several: a Meter outage. A transformer with a single meter
/// that reported: a Transformer outage (the one customer is the whole transformer; the crew goes to
/// the transformer either way). Roll-up: walking up from the transformer, an element <i>qualifies</i> when at
/// least 2 of the transformers below it are affected and they are at least <c>RollupFraction</c> of its
/// transformers that have meters. The walk passes through elements that add no affected transformer
/// (a fuse that protects just this branch), continues while elements qualify, stops at the first
/// element that neither qualifies nor passes through, and the outage names the highest qualifying element.
/// Its customers are all meters below it. A meter without a transformer: an Unknown outage.
/// Test power-downs (231) are recorded as test results only; events flagged <c>0x092</c> take no part.</item>
/// <item><b>Late and repeated.</b> A last gasp from a meter below the element of an open outage joins
/// it at once (no window); after every join and every window the outage's level is re-decided and
/// moves up when a roll-up rule now holds, taking over every open outage below its new element
/// (the oldest survives, the others are merged into it). So there is never more than one open outage
/// per element nor a meter in two open outages. Duplicate events (same <see cref="EventKey"/>) are ignored.</item>
/// <item><b>Qualification.</b> Suspected when created; Confirmed <c>QualifyMs</c> after its start,
/// unless every reporting meter has powered up by then: Momentary.</item>
/// <item><b>Restoration.</b> A power-up (code 2) restores its meter; an outage is Restored at the power-up
/// of its last reporting meter. For a Device, Feeder or Substation outage the first power-up of any
/// of its reporting meters starts restoration (the element was re-energised); meters that stay down
/// <c>NestedMs</c> after that first power-up are separated: the outage is Restored at its last power-up
/// seen in that period, and the meters still down are correlated among themselves (the same level
/// rules, below the restored element) into new nested outages with <see cref="Outage.ParentOutageId"/>,
/// Confirmed at once and keeping the start of their last gasps.</item>
/// <item><b>Lifecycle.</b> See <see cref="Acknowledge"/>, <see cref="Dispatch"/>, <see cref="RestoreManually"/>, <see cref="Clear"/>.</item>
/// <item><b>Priority.</b> See <see cref="OutagePriority"/>.</item>
/// </list>
/// <para><b>Output.</b> Every creation, level change, state change, restoration, clear, merge and growth
/// of the reporting meters marks the outage changed; <see cref="DrainChanges"/> returns one
/// <see cref="OutageChange"/> per changed outage since the previous drain.</para>
/// <para><b>Cost.</b> An event costs O(depth of the network) with no allocation; a decision costs
/// O(meters below the element decided on). Memory is a handful of arrays indexed by element.</para>
/// <para>Not thread-safe: one caller (the hosting service's loop) at a time.</para>
/// </remarks>
public sealed partial class OutageCorrelator
{
    /// <summary>The actor of every transition the engine makes by itself.</summary>
    public const string EngineActor = "engine";

    private readonly NetworkTopology _topology;
    private readonly int _n;                    // topology elements; indices >= _n are meters not in the topology
    private readonly long _windowTicks;
    private readonly long _qualifyTicks;
    private readonly long _nestedTicks;
    private readonly double _rollupFraction;

    // Per element of the topology (ancestors of transformers).
    private readonly int[] _customers;          // meters at or below, remaps applied (a meter: 1)
    private readonly int[] _critical;           // critical meters at or below
    private readonly int[] _meteredTx;          // transformers with at least one meter, at or below
    private readonly int[] _downAt;             // transformer: its meters that are down
    private readonly int[] _affectedTx;         // transformers below with a meter down

    // Per element, grown for meters not in the topology.
    private int[] _outageAt;                    // open outage whose failed element this is, -1
    private long[] _windowDeadline;             // window key (transformer or transformer-less meter): its end, 0 = none
    private MeterState[] _state;
    private int[] _meterOutage;                 // the open outage the meter is down in, -1
    private int[] _listedIn;                    // the outage whose reporting list holds the meter last, -1
    private int[] _txOf;                        // the meter's transformer, remaps applied, -1
    private long[] _gaspTicks;                  // receive time of the meter's current last gasp
    private MeterEventCode[] _lastCode;
    private long[] _lastEventTicks;
    private readonly int[] _txListedIn;                  // transformer: the outage that counted it in ReportingTransformers

    private readonly Dictionary<Guid, int> _virtualByGuid = [];
    private readonly List<Guid> _virtualGuids = [];
    private readonly Dictionary<int, int> _overrides = [];               // meter -> transformer
    private readonly Dictionary<int, List<int>> _movedInto = [];         // transformer -> meters remapped to it
    private readonly Dictionary<int, List<long>> _tests = [];

    // Exact, and kept as per-meter ranges of consecutive event ids: memory follows meters, not events
    // (a HashSet of keys grew ~100 B an event, 450 MB in a one-minute flood at 75,000 events/s).
    private readonly SeenEventKeys _seen = new();

    private readonly PriorityQueue<Deadline, Deadline> _deadlines = new(DeadlineComparer.Instance);
    private readonly List<OutageRecord> _outages = [];
    private readonly List<int> _dirty = [];
    private readonly List<int> _scratch = [];
    private long _now = long.MinValue;

    /// <param name="topology">The network in force.</param>
    /// <param name="options">Validated as at start-up; an invalid value throws <see cref="ArgumentException"/> naming the key.</param>
    /// <param name="parentOverrides">Remaps persisted by the host (meter id or GUID → transformer id), applied before any event.</param>
    public OutageCorrelator(NetworkTopology topology, CorrelationOptions options, IEnumerable<KeyValuePair<string, string>>? parentOverrides = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(options);
        var errors = CorrelationOptionsValidator.Check(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        _topology = topology;
        _n = topology.ElementCount;
        _windowTicks = TimeSpan.FromMilliseconds(options.WindowMs).Ticks;
        _qualifyTicks = TimeSpan.FromMilliseconds(options.QualifyMs).Ticks;
        _nestedTicks = TimeSpan.FromMilliseconds(options.NestedMs).Ticks;
        _rollupFraction = options.RollupFraction;

        _customers = new int[_n];
        _critical = new int[_n];
        _meteredTx = new int[_n];
        _downAt = new int[_n];
        _affectedTx = new int[_n];
        _outageAt = Filled(_n, -1);
        _windowDeadline = new long[_n];
        _state = new MeterState[_n];
        _meterOutage = Filled(_n, -1);
        _listedIn = Filled(_n, -1);
        _txOf = new int[_n];
        _gaspTicks = new long[_n];
        _lastCode = new MeterEventCode[_n];
        _lastEventTicks = new long[_n];
        _txListedIn = Filled(_n, -1);

        for (int e = 0; e < _n; e++)
        {
            var kind = topology.KindOf(e);
            _customers[e] = topology.MeterCountBelow(e);
            _txOf[e] = kind == ElementKind.Meter ? topology.ParentOf(e) : -1;
            if (kind == ElementKind.Transformer && _customers[e] > 0)
            {
                _meteredTx[e]++;
                foreach (var a in topology.Upstream(e))
                {
                    _meteredTx[a]++;
                }
            }
            else if (kind == ElementKind.Meter && topology[e].IsCritical)
            {
                _critical[e] = 1;
                foreach (var a in topology.Upstream(e))
                {
                    _critical[a]++;
                }
            }
        }

        foreach (var (meter, transformer) in parentOverrides ?? [])
        {
            var result = Remap(meter, transformer, EngineActor, DateTimeOffset.MinValue);
            if (!result.Succeeded)
            {
                throw new ArgumentException($"parent override {meter} -> {transformer}: {result.Error}", nameof(parentOverrides));
            }
        }
    }

    /// <summary>The engine's time: the latest event receive time or <see cref="Advance"/> time; null before any.</summary>
    public DateTimeOffset? Now => _now == long.MinValue ? null : At(_now);

    /// <summary>
    /// When <see cref="Advance"/> next has something to do (a window to close, an outage to confirm,
    /// a restoration grace period to end); null when nothing is pending.
    /// </summary>
    public DateTimeOffset? NextDeadline
    {
        get
        {
            while (_deadlines.TryPeek(out var d, out _))
            {
                if (IsLive(d))
                {
                    return At(d.Ticks);
                }

                _deadlines.Dequeue();
            }

            return null;
        }
    }

    /// <summary>
    /// Takes one accepted event. Deadlines up to its receive time run first. Events may arrive
    /// slightly out of order: each keeps its own receive time (outage start, explanation spread).
    /// </summary>
    public EventDisposition Process(RecordedEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        var ev = recorded.Event;
        if (recorded.Flags.HasFlag(EventFlags.TimeSync))
        {
            return EventDisposition.ExcludedTimeSync;
        }

        var code = ev.EventCode;
        if (code is not (MeterEventCode.PowerDown or MeterEventCode.PowerUp or MeterEventCode.TestPowerDown))
        {
            return EventDisposition.Ignored;
        }

        long t = recorded.ReceivedAt.UtcTicks;
        RunDeadlines(t);
        var key = recorded.Key;
        if (!_seen.TryAdd(key))
        {
            return EventDisposition.Duplicate;
        }

        if (!_topology.TryGetMeter(ev.MeterId, out int m) && !_virtualByGuid.TryGetValue(ev.MeterId, out m))
        {
            if (code == MeterEventCode.PowerUp)
            {
                return EventDisposition.Ignored; // nothing of it is known: nothing to restore
            }

            m = AddVirtualMeter(ev.MeterId);
        }

        if (code == MeterEventCode.PowerDown && IsMuted(m, t))
        {
            return EventDisposition.Muted; // stored by the host, seen here (a duplicate stays one), correlated never
        }

        _lastCode[m] = code;
        _lastEventTicks[m] = t;
        switch (code)
        {
            case MeterEventCode.PowerDown:
                PowerDown(m, t);
                return EventDisposition.Correlated;
            case MeterEventCode.PowerUp:
                PowerUp(m, t);
                return EventDisposition.Correlated;
            default:
                if (!_tests.TryGetValue(m, out var list))
                {
                    _tests[m] = list = [];
                }

                list.Add(t);
                return EventDisposition.TestRecorded;
        }
    }

    /// <summary>Moves engine time to <paramref name="now"/>, running every deadline up to it in time order.</summary>
    public void Advance(DateTimeOffset now) => RunDeadlines(now.UtcTicks);

    /// <summary>One entry per outage changed since the previous call, in the order they first changed.</summary>
    public IReadOnlyList<OutageChange> DrainChanges()
    {
        if (_dirty.Count == 0)
        {
            return [];
        }

        var changes = new OutageChange[_dirty.Count];
        for (int i = 0; i < _dirty.Count; i++)
        {
            var o = _outages[_dirty[i]];
            changes[i] = new OutageChange(o.PendingChanges, Snapshot(o), o.MergedInto >= 0 ? _outages[o.MergedInto].Id : null);
            o.PendingChanges = OutageChangeKinds.None;
        }

        _dirty.Clear();
        return changes;
    }

    private void RunDeadlines(long now)
    {
        while (_deadlines.TryPeek(out var d, out _) && d.Ticks <= now)
        {
            _deadlines.Dequeue();
            if (!IsLive(d))
            {
                continue;
            }

            _now = Math.Max(_now, d.Ticks);
            switch (d.Kind)
            {
                case DeadlineKind.WindowEnd:
                    CloseWindow(d.Target, d.Ticks);
                    break;
                case DeadlineKind.Qualify:
                    Transition(_outages[d.Target], OutageState.Confirmed, d.Ticks, EngineActor, null);
                    _outages[d.Target].ConfirmedTicks = d.Ticks;
                    break;
                default:
                    EndRestorationGrace(_outages[d.Target], d.Ticks);
                    break;
            }
        }

        _now = Math.Max(_now, now);
    }

    private bool IsLive(Deadline d) => d.Kind switch
    {
        DeadlineKind.WindowEnd => _windowDeadline[d.Target] == d.Ticks,
        DeadlineKind.Qualify => _outages[d.Target] is { IsOpen: true, State: OutageState.Suspected } o && d.Ticks >= o.StartedTicks + _qualifyTicks,
        _ => _outages[d.Target] is { IsOpen: true } r && r.RestorationStartTicks != 0 && r.RestorationStartTicks + _nestedTicks == d.Ticks,
    };

    private int AddVirtualMeter(Guid guid)
    {
        int m = _n + _virtualGuids.Count;
        _virtualGuids.Add(guid);
        _virtualByGuid[guid] = m;
        if (m >= _state.Length)
        {
            int size = Math.Max(16, _state.Length * 2);
            Grow(ref _outageAt, size, -1);
            Grow(ref _windowDeadline, size, 0);
            Grow(ref _state, size, MeterState.Up);
            Grow(ref _meterOutage, size, -1);
            Grow(ref _listedIn, size, -1);
            Grow(ref _txOf, size, -1);
            Grow(ref _gaspTicks, size, 0);
            Grow(ref _lastCode, size, default(MeterEventCode));
            Grow(ref _lastEventTicks, size, 0);
        }

        _txOf[m] = -1;
        return m;
    }

    private static void Grow<T>(ref T[] array, int size, T fill)
    {
        int old = array.Length;
        Array.Resize(ref array, size);
        array.AsSpan(old).Fill(fill);
    }

    private static int[] Filled(int n, int value)
    {
        var a = new int[n];
        a.AsSpan().Fill(value);
        return a;
    }

    private static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    private void Schedule(long ticks, DeadlineKind kind, int target)
    {
        var d = new Deadline(ticks, kind, target);
        _deadlines.Enqueue(d, d);
    }

    private void MarkChanged(OutageRecord o, OutageChangeKinds kinds)
    {
        if (o.PendingChanges == OutageChangeKinds.None)
        {
            _dirty.Add(o.Index);
        }

        o.PendingChanges |= kinds;
    }

    private enum MeterState : byte
    {
        Up,

        /// <summary>Down, waiting for its window to end.</summary>
        Pending,

        /// <summary>Down, in an open outage.</summary>
        InOutage,

        /// <summary>Reported and powered up again before its window ended.</summary>
        PendingUp,
    }

    private enum DeadlineKind : byte
    {
        WindowEnd,
        Qualify,
        RestorationGrace,
    }

    private readonly record struct Deadline(long Ticks, DeadlineKind Kind, int Target);

    /// <summary>Time, then kind, then target: equal times resolve the same way on every replay.</summary>
    private sealed class DeadlineComparer : IComparer<Deadline>
    {
        public static readonly DeadlineComparer Instance = new();

        public int Compare(Deadline x, Deadline y)
        {
            int c = x.Ticks.CompareTo(y.Ticks);
            if (c == 0)
            {
                c = x.Kind.CompareTo(y.Kind);
            }

            return c != 0 ? c : x.Target.CompareTo(y.Target);
        }
    }
}
