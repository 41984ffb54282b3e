using System.Collections.Concurrent;
using System.Net;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// Counters since start, exact under concurrency (interlocked). Every datagram received ends in
/// exactly one of: accepted, duplicate, rejected (by reason), or a protocol-level message
/// that carries no event (ping, block continuation, CoAP retransmission answered from cache).
/// </summary>
public sealed class IngestStats
{
    private static readonly int ReasonCount = Enum.GetValues<RejectReason>().Length;
    private static readonly int FlagCount = Enum.GetValues<FlagCode>().Length;

    private readonly long[] _rejected = new long[ReasonCount];
    private readonly long[] _flagged = new long[FlagCount];
    private readonly ConcurrentDictionary<IPAddress, GatewayCounters> _gateways = new();
    private long _received;
    private long _accepted;
    private long _duplicates;
    private long _control;
    private long _kernelDropped;

    /// <summary>
    /// Datagrams the kernel dropped on the listener's sockets since start (receive buffer full): they never
    /// reached the process, so they are outside received = accepted + duplicates + rejected + control.
    /// </summary>
    public long KernelDropped => Interlocked.Read(ref _kernelDropped);

    /// <summary>Sets <see cref="KernelDropped"/> (the listener samples the kernel's counter).</summary>
    public void SetKernelDropped(long value) => Interlocked.Exchange(ref _kernelDropped, value);

    public void Received(IPAddress gateway)
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref Gateway(gateway).ReceivedCount);
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

        var gateways = _gateways.ToDictionary(
            g => g.Key.ToString(),
            g => new GatewayStats(Volatile.Read(ref g.Value.ReceivedCount), Volatile.Read(ref g.Value.RejectedCount), Volatile.Read(ref g.Value.LowSignalCount)));
        return new IngestStatsSnapshot(Volatile.Read(ref _received), Volatile.Read(ref _accepted), Volatile.Read(ref _duplicates),
            Volatile.Read(ref _control), rejected.Values.Sum(), rejected, flagged, gateways)
        {
            KernelDropped = KernelDropped,
        };
    }

    private GatewayCounters Gateway(IPAddress address) => _gateways.GetOrAdd(address, static _ => new GatewayCounters());

    private sealed class GatewayCounters
    {
        public long ReceivedCount;
        public long RejectedCount;
        public long LowSignalCount;
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
}

public sealed record GatewayStats(long Received, long Rejected, long LowSignal);
