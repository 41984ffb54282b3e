using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace OpsConsole.Tools.StormBench;

/// <summary>
/// --profile: which types a stage allocates, from the runtime's own GCAllocationTick events (one sample about every
/// 100 KB allocated, with the type that crossed the mark), so the bytes per datagram can be traced to their source.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int GcAllocationTick = 10;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _on;

    public void Start()
    {
        _bytes.Clear();
        _on = true;
    }

    public IReadOnlyList<(string Type, long Bytes)> Stop()
    {
        _on = false;
        return [.. _bytes.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value))];
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_on || e.EventId != GcAllocationTick || e.Payload is null || e.PayloadNames is null)
        {
            return;
        }

        int type = e.PayloadNames.IndexOf("TypeName");
        int amount = e.PayloadNames.IndexOf("AllocationAmount64");
        if (type < 0 || amount < 0)
        {
            return;
        }

        _bytes.AddOrUpdate((string)e.Payload[type]!, Convert.ToInt64(e.Payload[amount], System.Globalization.CultureInfo.InvariantCulture), (_, v) => v + Convert.ToInt64(e.Payload[amount], System.Globalization.CultureInfo.InvariantCulture));
    }
}
