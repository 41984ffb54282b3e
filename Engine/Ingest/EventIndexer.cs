using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Hosting;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The indexer: puts journaled events into the event store (LiteDB) for queries, behind the
/// <see cref="JournalWriter"/>. The events are durable in the journal already, so the indexer may fall
/// behind or fail without losing any: what it skips is indexed from the journal later.
/// </summary>
/// <remarks>
/// It runs on a dedicated thread of lower scheduling priority (<see cref="Niceness"/>), so in a storm the two cores
/// go to the receive threads and the journal first: an event waits in memory to become queryable a few seconds
/// longer, instead of a last gasp being dropped by the kernel because its receive thread shared a core with
/// LiteDB (StormBench --server: storing costs ~2.5 µs of the ~13 µs a datagram costs the whole server).
/// The queue is bounded in events, not batches: a storm's group commits are small batches, and 64 of them held
/// only a fraction of a second once the indexer yields the CPU.
/// </remarks>
public sealed partial class EventIndexer
{
    /// <summary>Events waiting at most (about 5 s of a 100,000/s storm); more are left to the journal (see <see cref="Enqueue"/>).</summary>
    public const int QueueCapacityEvents = 524_288;

    /// <summary>The indexer thread's Linux nice value: a weight of 110 against 1,024 for the receive threads.</summary>
    public const int Niceness = 10;

    // Overflow policy (journaled events waiting for LiteDB): they are durable already, so when
    // storing falls behind (one LiteDB document per batch) a batch is left to the journal and
    // stored at the next start; the skipped count is logged. Bounded so memory stays flat.
    private readonly Channel<RecordedEvent[]> _queue = Channel.CreateUnbounded<RecordedEvent[]>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = true,
    });

    private long _queuedEvents;

    private readonly EventStore _store;
    private readonly ILogger<EventIndexer> _logger;
    private long _skipped;

    public EventIndexer(EventStore store, IngestTelemetry telemetry, ILogger<EventIndexer> logger)
    {
        ArgumentNullException.ThrowIfNull(telemetry);
        _store = store;
        _logger = logger;
        telemetry.ObserveIndexQueue(() => QueueDepth);
    }

    /// <summary>
    /// Journaled events waiting to be indexed. Counted here: the single-reader unbounded channel cannot count its
    /// items (its Count throws, which silently dropped the gauge from /metrics).
    /// </summary>
    public int QueueDepth => (int)Interlocked.Read(ref _queuedEvents);

    /// <summary>Queues a committed batch (copied); when <see cref="QueueCapacityEvents"/> would be passed the batch is left to the journal and logged.</summary>
    internal void Enqueue(List<RecordedEvent> events)
    {
        if (Interlocked.Read(ref _queuedEvents) + events.Count > QueueCapacityEvents || !_queue.Writer.TryWrite([.. events]))
        {
            LogIndexBehind(_logger, events.Count, Interlocked.Add(ref _skipped, events.Count));
            return;
        }

        Interlocked.Add(ref _queuedEvents, events.Count);
    }

    /// <summary>No more batches: <see cref="Run"/> returns once it has indexed what is queued.</summary>
    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>
    /// The indexer's loop, on a dedicated thread of lower priority (<see cref="Niceness"/>), until <see cref="Complete"/>
    /// or <paramref name="ct"/>; on <paramref name="ct"/> pending indexing is left to the next start's recovery.
    /// </summary>
    internal void Run(TimeProvider time, CancellationToken ct)
    {
        DedicatedThread.Name("hes-indexer");
        DedicatedThread.LowerPriority(Niceness, _logger);
        var pending = new List<RecordedEvent>(JournalWriter.MaxBatch * 4);
        using var waiter = new ChannelWaiter();
        while (!ct.IsCancellationRequested && waiter.WaitToRead(_queue.Reader))
        {
            pending.Clear();
            while (pending.Count < JournalWriter.MaxBatch * 4 && _queue.Reader.TryRead(out var events))
            {
                pending.AddRange(events);
                Interlocked.Add(ref _queuedEvents, -events.Length);
            }

            IndexDurably(pending, time, ct);
        }
    }

    /// <summary>
    /// Stores journaled events in LiteDB; while that fails (disk full: the store reopens itself, see LiteStore) the
    /// batch is kept and tried again after a back-off, so indexing resumes by itself when space returns. Batches
    /// skipped meanwhile (queue full) are then put back from the journal.
    /// </summary>
    private void IndexDurably(List<RecordedEvent> pending, TimeProvider time, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        bool failed = false;
        while (true)
        {
            using var activity = IngestTelemetry.Source.StartActivity("index");
            activity?.SetTag("events", pending.Count);
            try
            {
                _store.IndexBatch(pending);
                if (failed && Interlocked.Exchange(ref _skipped, 0) > 0)
                {
                    _store.Recover(); // batches skipped while failing: from the journal now, not at the next start
                }

                return;
            }
            catch (IOException ex) // StorageException included
            {
                // The events are in the journal: nothing is lost, only not yet queryable.
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                if (!failed)
                {
                    LogIndexFault(_logger, ex, pending.Count);
                }

                failed = true;
            }

            try
            {
                Task.Delay(delay, time, ct).GetAwaiter().GetResult(); // a thread of its own: nothing else waits for it
            }
            catch (OperationCanceledException)
            {
                return; // stopping: the next start's recovery indexes them
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Indexing {Count} journaled events failed; retrying (they are durable in the journal)")]
    private static partial void LogIndexFault(ILogger logger, Exception ex, int count);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning,
        Message = "Indexing is behind: {Count} journaled events left to the next start's re-index ({Total} so far); they are durable in the journal")]
    private static partial void LogIndexBehind(ILogger logger, int count, long total);
}
