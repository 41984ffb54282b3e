using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The ingest subsystem's <see cref="Meter"/> and <see cref="ActivitySource"/> (both named <see cref="Name"/>):
/// datagrams by outcome and kernel drops (read from <see cref="IngestStats"/> when collected, so the hot path
/// pays nothing), the journal's fsync latency (one measurement per group commit) and the depths of the journal
/// and index queues (read when collected). Traces: one activity per journal append and per index batch.
/// </summary>
public sealed class IngestTelemetry : IDisposable
{
    public const string Name = "OpsConsole.Engine.Ingest";

    /// <summary>Datagrams by outcome: <c>outcome</c> = accepted, duplicate, control or rejected (then <c>reason</c> = ERR_*).</summary>
    public const string Datagrams = "opsconsole.ingest.datagrams";

    /// <summary>Datagrams received, whatever their outcome (and those still in flight).</summary>
    public const string Received = "opsconsole.ingest.received";

    /// <summary>Datagrams the kernel dropped on the listener's port since start (receive buffer full).</summary>
    public const string KernelDrops = "opsconsole.ingest.kernel_drops";

    /// <summary>Seconds one journal append (one write, one fsync) took.</summary>
    public const string JournalFsync = "opsconsole.ingest.journal.fsync.duration";

    /// <summary>Accepted events waiting for the journal (<see cref="JournalWriter.QueueDepth"/>).</summary>
    public const string JournalQueue = "opsconsole.ingest.journal.queue.depth";

    /// <summary>Journaled events waiting to be indexed (<see cref="EventIndexer.QueueDepth"/>).</summary>
    public const string IndexQueue = "opsconsole.ingest.index.queue.depth";

    /// <summary>The ingest's activities: <c>journal.append</c> and <c>index</c>.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly RejectReason[] Reasons = Enum.GetValues<RejectReason>();
    private static readonly string[] ReasonNames = [.. Reasons.Select(r => r.ToString())];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _fsync;
    private Func<int> _journalDepth = static () => 0;
    private Func<int> _indexDepth = static () => 0;

    public IngestTelemetry(IngestStats stats, IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        _ownsMeter = meters is null;
        _meter = meters?.Create(Name) ?? new Meter(Name);
        _meter.CreateObservableCounter(Datagrams, () => ByOutcome(stats), "{datagram}", "Datagrams received, by outcome (and reject reason)");
        _meter.CreateObservableCounter(Received, () => stats.ReceivedCount, "{datagram}", "Datagrams received, whatever their outcome");
        _meter.CreateObservableCounter(KernelDrops, () => stats.KernelDropped, "{datagram}", "Datagrams the kernel dropped on the listener's port (receive buffer full)");
        _fsync = _meter.CreateHistogram(JournalFsync, "s", "One journal append: one write and one fsync", advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        });
        _meter.CreateObservableGauge(JournalQueue, () => _journalDepth(), "{event}", "Accepted events waiting for the journal");
        _meter.CreateObservableGauge(IndexQueue, () => _indexDepth(), "{event}", "Journaled events waiting to be indexed");
    }

    /// <summary>The meter, for listeners that want to tell this host's instruments from another's (<see cref="Meter.Scope"/>).</summary>
    public Meter Meter => _meter;

    internal void ObserveJournalQueue(Func<int> depth) => _journalDepth = depth;

    internal void ObserveIndexQueue(Func<int> depth) => _indexDepth = depth;

    internal void RecordFsync(TimeSpan elapsed) => _fsync.Record(elapsed.TotalSeconds);

    private static IEnumerable<Measurement<long>> ByOutcome(IngestStats stats)
    {
        yield return new(stats.AcceptedCount, new KeyValuePair<string, object?>("outcome", "accepted"));
        yield return new(stats.DuplicateCount, new KeyValuePair<string, object?>("outcome", "duplicate"));
        yield return new(stats.ControlCount, new KeyValuePair<string, object?>("outcome", "control"));
        for (int i = 0; i < Reasons.Length; i++)
        {
            yield return new(stats.RejectedCount(Reasons[i]), new KeyValuePair<string, object?>("outcome", "rejected"), new KeyValuePair<string, object?>("reason", ReasonNames[i]));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose(); // a factory's meters are disposed with the factory
        }
    }
}
