using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Hosting;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The journal writer: takes every event waiting (group commit, up to <see cref="MaxBatch"/>), appends them to
/// the journal with one fsync, and only then acknowledges the CONs (wire-format.md: accepted = durably recorded).
/// After each committed batch it makes one call to <see cref="IAcceptedEventSink.Accept"/> (the correlation
/// engine) and hands the batch to the <see cref="EventIndexer"/>. Runs on a dedicated thread started by
/// <see cref="UdpIngestService"/>; the receive loops give it events through <see cref="TryEnqueue"/>.
/// </summary>
public sealed partial class JournalWriter
{
    public const int MaxBatch = 1024;

    /// <summary>Max-Age of the 5.03 sent to a CON whose event the journal could not write (the disk refuses).</summary>
    public const uint RetryAfterSeconds = 10;

    // Overflow policy (events waiting for the journal): a full queue means the disk stalls. The
    // event is then abandoned (its key and counter released) and counted ERR_OVERLOAD without an
    // answer: a CON meter retries, a NON is logged as lost. FullMode.Wait is what makes TryWrite
    // return false when full; DropWrite would report success and lose the event silently.
    private readonly Channel<PendingEvent> _queue;
    private readonly EventStore _store;
    private readonly EventIndexer _indexer;
    private readonly IngestTelemetry _telemetry;
    private readonly ILogger<JournalWriter> _logger;
    private readonly IAcceptedEventSink? _accepted;
    private readonly JournalWriterOptions? _options;

    public JournalWriter(EventStore store, EventIndexer indexer, IngestTelemetry telemetry, ILogger<JournalWriter> logger,
        IAcceptedEventSink? accepted = null, JournalWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(telemetry);
        _store = store;
        _indexer = indexer;
        _telemetry = telemetry;
        _logger = logger;
        _accepted = accepted;
        _options = options;
        _queue = Channel.CreateBounded<PendingEvent>(new BoundedChannelOptions((options ?? JournalWriterOptions.Default).QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        telemetry.ObserveJournalQueue(() => QueueDepth);
    }

    /// <summary>Accepted events waiting for the journal.</summary>
    public int QueueDepth => _queue.Reader.Count;

    /// <summary>False when the queue is full (the caller refuses the event ERR_OVERLOAD).</summary>
    internal bool TryEnqueue(PendingEvent pending) => _queue.Writer.TryWrite(pending);

    /// <summary>No more events: <see cref="Run"/> writes what is queued and returns.</summary>
    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>The writer's loop, until <see cref="Complete"/>; then completes the indexer's queue.</summary>
    internal void Run(IngestContext context)
    {
        DedicatedThread.Name("hes-journal");
        var batch = new List<PendingEvent>(MaxBatch);
        var events = new List<RecordedEvent>(MaxBatch);
        var retry = new byte[32];
        // A dedicated thread blocks here, without spinning (ChannelWaiter); there is nothing else for it to do.
        using var waiter = new ChannelWaiter();
        while (waiter.WaitToRead(_queue.Reader))
        {
            batch.Clear();
            events.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
                events.Add(item.Event);
            }

            using var activity = IngestTelemetry.Source.StartActivity("journal.append");
            activity?.SetTag("events", events.Count);
            try
            {
                _options?.BeforeAppend?.Invoke(events.Count);
                long started = Stopwatch.GetTimestamp();
                _store.Journal.AppendBatch(events); // one write, one fsync: durable from here
                _telemetry.RecordFsync(Stopwatch.GetElapsedTime(started));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Not durable, so no 2.04: a CON is told 5.03 + Max-Age and sends the event again (disk full and the like).
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                LogJournalFault(_logger, ex, batch.Count);
                foreach (var p in batch)
                {
                    context.RejectOverloaded(p.Event, p.Endpoint, p.MessageId, "journal write failed: " + ex.Message, p.Ack is not null);
                    if (p.Ack is { Length: >= 4 } ack
                        && CoapMessage.TryWriteServiceUnavailable(retry, p.MessageId, ack.AsSpan(4, Math.Min(ack[0] & 0x0F, ack.Length - 4)), RetryAfterSeconds, out int n))
                    {
                        UdpIngestService.Send(p.Socket, retry.AsSpan(0, n), p.Source, _logger);
                    }
                }

                continue;
            }

            foreach (var p in batch)
            {
                context.Commit(p.Event, p.Endpoint, p.MessageId, p.Ack);
                if (p.Ack is not null)
                {
                    UdpIngestService.Send(p.Socket, p.Ack, p.Source, _logger);
                }
            }

            _accepted?.Accept(events); // durable and committed: correlate (may block, never drops; see CorrelationService)
            _indexer.Enqueue(events);
        }

        _indexer.Complete();
    }

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Journal write of {Count} events failed; they were not acknowledged")]
    private static partial void LogJournalFault(ILogger logger, Exception ex, int count);
}

/// <summary>An accepted event on its way to the journal, with what its acknowledgement needs.</summary>
internal sealed record PendingEvent(RecordedEvent Event, IPEndPoint Source, Socket Socket, CoapEndpoint Endpoint, ushort MessageId, byte[]? Ack);
