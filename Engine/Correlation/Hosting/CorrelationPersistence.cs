using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>
/// Writes what the correlation loop hands over, on a task of its own so a storm never waits for the disk: outage
/// changes (coalesced by id: the latest snapshot wins, one transaction per round), then checkpoints, then the journal
/// segments a durable checkpoint covers are deleted.
/// </summary>
/// <remarks>
/// <para>Order: a checkpoint is written after every outage change handed over before it, so once a checkpoint is on
/// disk the outage store holds every change up to it; a start that resumes from it stores the tail's changes.</para>
/// <para>Memory: pending outages are at most one entry per outage (coalesced), pending checkpoints at most one (a newer
/// one replaces an older one not yet written).</para>
/// <para>Segment deletion: a closed journal segment goes when each of its events is stored in the event store and,
/// when the correlator takes part of it (<see cref="OutageCorrelator.TakesPart"/>), among the keys the checkpoint
/// covers; segments are checked oldest first and the first that is not covered stops the deletion, so the journal
/// stays a suffix. The check runs before the checkpoint is saved, whose save makes the store flush every commit before it
/// (the event batches found), and the deletion after.</para>
/// </remarks>
internal sealed partial class CorrelationPersistence : IAsyncDisposable
{
    private readonly IOutageStore? _outages;
    private readonly ICheckpointStore? _checkpoints;
    private readonly EventStore _events;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Task _writer;
    private Dictionary<string, StoredOutage> _pending = new(StringComparer.Ordinal);
    private IReadOnlyCollection<StoredOutage>? _replaceAll;
    private CheckpointJob? _checkpoint;
    private List<TaskCompletionSource> _flushes = [];
    private bool _stopping;

    public CorrelationPersistence(IOutageStore? outages, ICheckpointStore? checkpoints, EventStore events, ILogger logger)
    {
        _outages = outages;
        _checkpoints = checkpoints;
        _events = events;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>A checkpoint with the keys it covers (for segment deletion).</summary>
    public sealed record CheckpointJob(CorrelationCheckpoint Checkpoint, SeenEventKeys Covered);

    /// <summary>Outage rounds written and their total time, for the benchmark.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    public TimeSpan WriteTime => TimeSpan.FromTicks(Interlocked.Read(ref _writeTicks));

    private long _rounds;
    private long _writeTicks;

    /// <summary>From the loop: outages that changed (cheap: a dictionary insert each).</summary>
    public void Enqueue(IReadOnlyList<OutageChange> changes)
    {
        if (_outages is null || changes.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var c in changes)
            {
                _pending[c.Outage.Id] = new StoredOutage(c.Outage, c.MergedIntoId);
            }
        }

        _signal.Release();
    }

    /// <summary>From the loop, after a full rebuild: the store is to hold exactly these (supersedes what is pending).</summary>
    public void ReplaceAll(IReadOnlyList<OutageChange> everything)
    {
        if (_outages is null)
        {
            return;
        }

        lock (_gate)
        {
            _pending.Clear();
            _replaceAll = [.. everything.Select(c => new StoredOutage(c.Outage, c.MergedIntoId))];
        }

        _signal.Release();
    }

    /// <summary>From the loop: a checkpoint to save after the outage changes handed over so far.</summary>
    public void Checkpoint(CheckpointJob job)
    {
        if (_checkpoints is null)
        {
            return;
        }

        lock (_gate)
        {
            _checkpoint = job;
        }

        _signal.Release();
    }

    /// <summary>Completes once everything handed over before the call is written (or failed and was logged).</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _flushes.Add(done);
        }

        _signal.Release();
        return done.Task;
    }

    /// <summary>Writes what is pending and ends the writer; safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
        }

        _signal.Release();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            await _signal.WaitAsync().ConfigureAwait(false);
            Dictionary<string, StoredOutage> pending;
            IReadOnlyCollection<StoredOutage>? replaceAll;
            CheckpointJob? checkpoint;
            List<TaskCompletionSource> flushes;
            bool stopping;
            lock (_gate)
            {
                (pending, _pending) = (_pending, new Dictionary<string, StoredOutage>(StringComparer.Ordinal));
                (replaceAll, _replaceAll) = (_replaceAll, null);
                (checkpoint, _checkpoint) = (_checkpoint, null);
                (flushes, _flushes) = (_flushes, []);
                stopping = _stopping;
            }

            Write(replaceAll, pending, checkpoint);
            flushes.ForEach(f => f.TrySetResult());
            if (stopping)
            {
                lock (_gate)
                {
                    if (_pending.Count == 0 && _replaceAll is null && _checkpoint is null && _flushes.Count == 0)
                    {
                        return;
                    }
                }
            }
        }
    }

    private void Write(IReadOnlyCollection<StoredOutage>? replaceAll, Dictionary<string, StoredOutage> pending, CheckpointJob? checkpoint)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (replaceAll is not null)
            {
                _outages!.ReplaceAll(replaceAll);
            }

            if (pending.Count > 0)
            {
                _outages!.Save(pending.Values);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // Disk full and the like: the correlator still holds every outage; the next start's replay stores them again.
            LogOutagesNotSaved(_logger, ex, pending.Count + (replaceAll?.Count ?? 0));
        }

        if (replaceAll is not null || pending.Count > 0)
        {
            Interlocked.Increment(ref _rounds);
            Interlocked.Add(ref _writeTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
        }

        if (checkpoint is not null)
        {
            SaveCheckpoint(checkpoint);
        }
    }

    private void SaveCheckpoint(CheckpointJob job)
    {
        try
        {
            _events.Journal.Roll(); // what the checkpoint covers is then in closed segments, which may go
            var covered = CoveredSegments(job.Covered);
            _events.SaveSummary(); // the event store's look-ups too: a start then decodes only the batches stored after
            _checkpoints!.Save(job.Checkpoint);
            int deleted = covered.Count > 0 ? _events.Journal.DeleteSegments(covered) : 0;
            LogCheckpointSaved(_logger, job.Checkpoint.State.Length, job.Checkpoint.EventsTaken, deleted);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // The previous checkpoint stays (or none): a start replays more, nothing is lost; no segment was deleted.
            LogCheckpointFailed(_logger, ex);
        }
    }

    /// <summary>Closed segments, oldest first, up to the first holding an event not yet stored or not covered.</summary>
    private List<string> CoveredSegments(SeenEventKeys covered)
    {
        var paths = new List<string>();
        foreach (string path in _events.Journal.ClosedSegmentPaths())
        {
            bool all = true;
            _events.Journal.ReadSegment(path, e =>
            {
                if (all && (!_events.Contains(e.Key) || (OutageCorrelator.TakesPart(e) && !covered.Contains(e.Key))))
                {
                    all = false;
                }
            });
            if (!all)
            {
                break;
            }

            paths.Add(path);
        }

        return paths;
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information,
        Message = "Correlation checkpoint saved ({Bytes} bytes, {Events} events taken in all); {Deleted} journal segment(s) it covers deleted")]
    private static partial void LogCheckpointSaved(ILogger logger, int bytes, long events, int deleted);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Correlation checkpoint not saved; the previous one stays and no journal segment is deleted")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "{Count} outage(s) not stored; the next start's replay stores them")]
    private static partial void LogOutagesNotSaved(ILogger logger, Exception ex, int count);
}
