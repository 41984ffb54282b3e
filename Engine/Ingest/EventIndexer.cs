using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The indexer: puts journaled events into the event store (LiteDB) for queries, behind the
/// <see cref="JournalWriter"/>. The events are durable in the journal already, so the indexer may fall
/// behind or fail without losing any: what it skips is indexed from the journal later.
/// </summary>
public sealed partial class EventIndexer
{
    /// <summary>Batches waiting at most; more are left to the journal (see <see cref="Enqueue"/>).</summary>
    public const int QueueCapacity = 64;

    // Overflow policy (journaled events waiting for LiteDB): they are durable already, so when
    // storing falls behind (one LiteDB document per batch) a batch is left to the journal and
    // stored at the next start; the skipped count is logged. Bounded so memory stays flat.
    private readonly Channel<RecordedEvent[]> _queue = Channel.CreateBounded<RecordedEvent[]>(new BoundedChannelOptions(QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

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

    /// <summary>Journaled batches waiting to be indexed.</summary>
    public int QueueDepth => _queue.Reader.Count;

    /// <summary>Queues a committed batch (copied); when the queue is full the batch is left to the journal and logged.</summary>
    internal void Enqueue(List<RecordedEvent> events)
    {
        if (!_queue.Writer.TryWrite([.. events]))
        {
            LogIndexBehind(_logger, events.Count, Interlocked.Add(ref _skipped, events.Count));
        }
    }

    /// <summary>No more batches: <see cref="RunAsync"/> returns once it has indexed what is queued.</summary>
    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>The indexer's loop; on <paramref name="ct"/> pending indexing is left to the next start's recovery.</summary>
    internal async Task RunAsync(TimeProvider time, CancellationToken ct)
    {
        var pending = new List<RecordedEvent>(JournalWriter.MaxBatch * 4);
        while (!ct.IsCancellationRequested && await WaitAsync(ct).ConfigureAwait(false))
        {
            pending.Clear();
            while (pending.Count < JournalWriter.MaxBatch * 4 && _queue.Reader.TryRead(out var events))
            {
                pending.AddRange(events);
            }

            await IndexDurablyAsync(pending, time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stores journaled events in LiteDB; while that fails (disk full: the store reopens itself, see LiteStore) the
    /// batch is kept and tried again after a back-off, so indexing resumes by itself when space returns. Batches
    /// skipped meanwhile (queue full) are then put back from the journal.
    /// </summary>
    private async Task IndexDurablyAsync(List<RecordedEvent> pending, TimeProvider time, CancellationToken ct)
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
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // stopping: the next start's recovery indexes them
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    private async Task<bool> WaitAsync(CancellationToken ct)
    {
        try
        {
            return await _queue.Reader.WaitToReadAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Indexing {Count} journaled events failed; retrying (they are durable in the journal)")]
    private static partial void LogIndexFault(ILogger logger, Exception ex, int count);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning,
        Message = "Indexing is behind: {Count} journaled events left to the next start's re-index ({Total} so far); they are durable in the journal")]
    private static partial void LogIndexBehind(ILogger logger, int count, long total);
}
