using System.Collections.Concurrent;
using System.Net;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// Counters since start, exact under concurrency (interlocked). Every datagram received ends in
/// exactly one of: accepted, duplicate, rejected (by reason), or a protocol-level message
/// that carries no event (ping, block continuation, CoAP retransmission answered from cache).
/// </summary>
/// <remarks>
/// <para><b>Bounded per-gateway figures.</b> Source addresses come from unauthenticated UDP, so nothing
/// here grows with them. A datagram from an address outside <c>Hes:AllowedGateways</c> is counted only in
/// the totals (<see cref="Denied"/>: received and rejected ERR_GATEWAY_DENIED), never per address. Allowed
/// gateways get their own counters up to <see cref="MaxTrackedGateways"/> addresses (the first seen keep
/// them); datagrams of any further allowed address are added to the <see cref="OtherGateways"/> bucket.
/// A snapshot reports the <see cref="MaxReportedGateways"/> busiest tracked gateways (by datagrams
/// received) and folds the rest into <see cref="OtherGateways"/>, so <c>/api/stats</c> stays a few
/// kilobytes whatever arrives. Totals stay exact either way.</para>
/// <para>Hot path: a lookup in a concurrent dictionary (lock-free read) and interlocked increments; an
/// address is added under the dictionary's bucket lock once, while the table is below its cap.</para>
/// </remarks>
public sealed class IngestStats
{
    /// <summary>Allowed gateway addresses with counters of their own; more go to <see cref="OtherGateways"/>.</summary>
    public const int MaxTrackedGateways = 4096;

    /// <summary>Gateways listed by name in a snapshot (the busiest); the rest are summed under <see cref="OtherGateways"/>.</summary>
    public const int MaxReportedGateways = 256;

    /// <summary>The key, in <see cref="IngestStatsSnapshot.Gateways"/>, of the gateways not listed by address.</summary>
    public const string OtherGateways = "other";

    private static readonly int ReasonCount = Enum.GetValues<RejectReason>().Length;
    private static readonly int FlagCount = Enum.GetValues<FlagCode>().Length;

    private readonly long[] _rejected = new long[ReasonCount];
    private readonly long[] _flagged = new long[FlagCount];
    private readonly ConcurrentDictionary<IPAddress, GatewayCounters> _gateways = new();
    private readonly GatewayCounters _other = new();
    private int _tracked;
    private long _received;
    private long _accepted;
    private long _duplicates;
    private long _control;
    private long _kernelDropped;
    private IReadOnlyDictionary<string, long> _baseline = new Dictionary<string, long>();

    /// <summary>
    /// Datagrams the kernel dropped on the listener's sockets since start (receive buffer full): they never
    /// reached the process, so they are outside received = accepted + duplicates + rejected + control.
    /// </summary>
    public long KernelDropped => Interlocked.Read(ref _kernelDropped);

    /// <summary>Allowed gateway addresses with counters of their own (at most <see cref="MaxTrackedGateways"/>).</summary>
    public int TrackedGateways => Math.Min(Volatile.Read(ref _tracked), MaxTrackedGateways);

    /// <summary>Sets <see cref="KernelDropped"/> (the listener samples the kernel's counter).</summary>
    public void SetKernelDropped(long value) => Interlocked.Exchange(ref _kernelDropped, value);

    /// <summary>A datagram from an allowed gateway.</summary>
    public void Received(IPAddress gateway)
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref Gateway(gateway).ReceivedCount);
    }

    /// <summary>
    /// A datagram from an address outside <c>Hes:AllowedGateways</c>: received and rejected
    /// ERR_GATEWAY_DENIED in the totals, with no per-address state.
    /// </summary>
    public void Denied()
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref _rejected[(int)RejectReason.ERR_GATEWAY_DENIED]);
    }

    public void Rejected(IPAddress gateway, RejectReason reason)
    {
        Interlocked.Increment(ref _rejected[(int)reason]);
        Interlocked.Increment(ref Gateway(gateway).RejectedCount);
    }

    /// <summary>An event recorded in the store.</summary>
    public void Accepted() => Interlocked.Increment(ref _accepted);

    /// <summary>An event already recorded (same GUID, epoch, event id), or a CoAP retransmission.</summary>
    public void Duplicate() => Interlocked.Increment(ref _duplicates);

    /// <summary>A datagram that carries no event by design: ping, non-final block.</summary>
    public void Control() => Interlocked.Increment(ref _control);

    public void Flagged(IPAddress gateway, FlagCode flag)
    {
        Interlocked.Increment(ref _flagged[(int)flag]);
        if (flag == FlagCode.SignalLow)
        {
            Interlocked.Increment(ref Gateway(gateway).LowSignalCount);
        }
    }

    /// <summary>Datagrams received so far (every outcome, and those still in flight).</summary>
    public long ReceivedCount => Volatile.Read(ref _received);

    /// <summary>Events recorded so far.</summary>
    public long AcceptedCount => Volatile.Read(ref _accepted);

    /// <summary>Duplicates (events already recorded, CoAP retransmissions) so far.</summary>
    public long DuplicateCount => Volatile.Read(ref _duplicates);

    /// <summary>Datagrams without an event by design (ping, non-final block) so far.</summary>
    public long ControlCount => Volatile.Read(ref _control);

    /// <summary>Datagrams rejected for <paramref name="reason"/> so far, without building a snapshot (for the metrics).</summary>
    public long RejectedCount(RejectReason reason) => Volatile.Read(ref _rejected[(int)reason]);

    /// <summary>Datagrams received and rejected so far, without building a snapshot (for once-a-second rates).</summary>
    public (long Received, long Rejected) Totals()
    {
        long rejected = 0;
        for (int i = 0; i < _rejected.Length; i++)
        {
            rejected += Volatile.Read(ref _rejected[i]);
        }

        return (Volatile.Read(ref _received), rejected);
    }

    /// <summary>
    /// The totals of earlier runs (persisted by <see cref="IngestTotals"/>), by the names of <see cref="Flatten"/>:
    /// what <see cref="IngestStatsSnapshot.Totals"/> adds the counters since start to.
    /// </summary>
    public void SetBaseline(IReadOnlyDictionary<string, long> baseline) =>
        Volatile.Write(ref _baseline, new Dictionary<string, long>(baseline ?? throw new ArgumentNullException(nameof(baseline)), StringComparer.Ordinal));

    /// <summary>
    /// The counters of a snapshot by name: <c>received</c>, <c>accepted</c>, <c>duplicates</c>, <c>control</c>,
    /// <c>rejected</c>, <c>rejected.&lt;reason&gt;</c>, <c>flagged.&lt;code&gt;</c> (the kernel's drops are not
    /// ours to add up: its counter restarts with the socket).
    /// </summary>
    public static Dictionary<string, long> Flatten(IngestStatsSnapshot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var flat = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["received"] = s.Received,
            ["accepted"] = s.Accepted,
            ["duplicates"] = s.Duplicates,
            ["control"] = s.Control,
            ["rejected"] = s.RejectedTotal,
        };
        foreach (var (reason, n) in s.Rejected)
        {
            flat["rejected." + reason] = n;
        }

        foreach (var (code, n) in s.Flagged)
        {
            flat["flagged." + code] = n;
        }

        return flat;
    }

    public IngestStatsSnapshot Snapshot()
    {
        var rejected = new Dictionary<string, long>(ReasonCount);
        foreach (var reason in Enum.GetValues<RejectReason>())
        {
            rejected[reason.ToString()] = Volatile.Read(ref _rejected[(int)reason]);
        }

        var flagged = new Dictionary<string, long>(FlagCount);
        foreach (var flag in Enum.GetValues<FlagCode>())
        {
            flagged[flag.ToCode()] = Volatile.Read(ref _flagged[(int)flag]);
        }

        var all = new List<(string Address, GatewayStats Stats)>(Math.Min(TrackedGateways, MaxTrackedGateways));
        foreach (var g in _gateways)
        {
            all.Add((g.Key.ToString(), g.Value.Read()));
        }

        all.Sort(static (a, b) => b.Stats.Received != a.Stats.Received
            ? b.Stats.Received.CompareTo(a.Stats.Received)
            : string.CompareOrdinal(a.Address, b.Address));
        var gateways = new Dictionary<string, GatewayStats>(Math.Min(all.Count, MaxReportedGateways) + 1, StringComparer.Ordinal);
        GatewayStats other = _other.Read();
        for (int i = 0; i < all.Count; i++)
        {
            if (i < MaxReportedGateways)
            {
                gateways[all[i].Address] = all[i].Stats;
            }
            else
            {
                other = new GatewayStats(other.Received + all[i].Stats.Received, other.Rejected + all[i].Stats.Rejected, other.LowSignal + all[i].Stats.LowSignal);
            }
        }

        if (other != GatewayStats.Zero)
        {
            gateways[OtherGateways] = other;
        }

        var snapshot = new IngestStatsSnapshot(Volatile.Read(ref _received), Volatile.Read(ref _accepted), Volatile.Read(ref _duplicates),
            Volatile.Read(ref _control), rejected.Values.Sum(), rejected, flagged, gateways)
        {
            KernelDropped = KernelDropped,
        };
        var totals = Flatten(snapshot);
        foreach (var (name, n) in Volatile.Read(ref _baseline))
        {
            totals[name] = totals.GetValueOrDefault(name) + n;
        }

        return snapshot with { Totals = totals };
    }

    /// <summary>The counters of <paramref name="address"/>, or the shared "other" bucket once the table is full.</summary>
    private GatewayCounters Gateway(IPAddress address)
    {
        if (_gateways.TryGetValue(address, out GatewayCounters? counters))
        {
            return counters;
        }

        if (Volatile.Read(ref _tracked) >= MaxTrackedGateways)
        {
            return _other;
        }

        if (Interlocked.Increment(ref _tracked) > MaxTrackedGateways)
        {
            return _other; // _tracked stays above the cap: the table is full for good
        }

        counters = new GatewayCounters();
        if (_gateways.TryAdd(address, counters))
        {
            return counters;
        }

        Interlocked.Decrement(ref _tracked); // another thread added it first
        return _gateways.TryGetValue(address, out counters) ? counters : _other;
    }

    private sealed class GatewayCounters
    {
        public long ReceivedCount;
        public long RejectedCount;
        public long LowSignalCount;

        public GatewayStats Read() =>
            new(Volatile.Read(ref ReceivedCount), Volatile.Read(ref RejectedCount), Volatile.Read(ref LowSignalCount));
    }
}

/// <summary>The counters at one moment, as <c>/api/stats</c> reports them.</summary>
public sealed record IngestStatsSnapshot(
    long Received,
    long Accepted,
    long Duplicates,
    long Control,
    long RejectedTotal,
    IReadOnlyDictionary<string, long> Rejected,
    IReadOnlyDictionary<string, long> Flagged,
    IReadOnlyDictionary<string, GatewayStats> Gateways)
{
    /// <summary>See <see cref="IngestStats.KernelDropped"/>: outside received = accepted + duplicates + rejected + control.</summary>
    public long KernelDropped { get; init; }

    /// <summary>
    /// Since the first start (persisted, so a restart or a restore keeps them), by the names of
    /// <see cref="IngestStats.Flatten"/>; empty on a snapshot that was not taken by <see cref="IngestStats.Snapshot"/>.
    /// </summary>
    public IReadOnlyDictionary<string, long> Totals { get; init; } = new Dictionary<string, long>();
}

/// <summary>One gateway's datagrams: received, rejected, and events flagged ST_SIGNAL_LOW.</summary>
public sealed record GatewayStats(long Received, long Rejected, long LowSignal)
{
    internal static readonly GatewayStats Zero = new(0, 0, 0);
}
