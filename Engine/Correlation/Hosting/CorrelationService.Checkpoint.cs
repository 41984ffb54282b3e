using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>Checkpoints: taken on the loop, saved off it; a start resumes from the latest and replays the journal after it.</summary>
/// <remarks>
/// <para><b>Position.</b> A checkpoint covers exactly the events the correlator had taken (its seen keys are part of
/// the state) and the operator actions up to <see cref="CorrelationCheckpoint.LastActionId"/>. The ingest hands events
/// to correlation in journal order, so what a checkpoint covers is a prefix of the journal (give or take events it
/// ignores) and what follows it is in the journal's remaining segments (segments are deleted only once covered). A
/// resume replays every record of those segments in journal order: those the checkpoint covers are duplicates to the
/// restored correlator, which ignores them without moving its time (they are older than its time); the others are
/// taken as live, with each operator action after <see cref="CorrelationCheckpoint.LastActionId"/> right after the
/// event it followed live (at the start when that event is covered). So the resumed correlator is the one that was
/// running, carried on over the same events and actions: the outages a full replay builds, with the same ids (the
/// full replay reads the event store, whose batches are in journal order).</para>
/// <para><b>Fallback.</b> A checkpoint that cannot be read or does not fit (damaged, another format, another network
/// or other decision options) is named in a warning, and everything stored is replayed instead.</para>
/// </remarks>
public sealed partial class CorrelationService
{
    private int _lastActionId;              // loop only: the last operator action applied
    private bool _changedSinceCheckpoint;   // loop only
    private DateTimeOffset _checkpointAt;   // loop only: when the last checkpoint was taken
    private long _eventsBefore;             // events taken before this start (from the checkpoint)
    private bool _resumed;                  // this start resumed from a checkpoint

    private TimeSpan CheckpointEvery => TimeSpan.FromSeconds(_options.CheckpointSeconds);

    private bool CheckpointDue(DateTimeOffset now) =>
        _checkpoints is not null && _options.CheckpointSeconds > 0 && _changedSinceCheckpoint && now - _checkpointAt >= CheckpointEvery;

    private DateTimeOffset? NextCheckpoint =>
        _checkpoints is not null && _options.CheckpointSeconds > 0 && _changedSinceCheckpoint ? _checkpointAt + CheckpointEvery : null;

    private Task<CorrelationCheckpoint?>? _checkpointRead;

    /// <summary>
    /// Starts reading the checkpoint on a pool thread, before the loop starts: the read does not need the network, so at
    /// a start it runs while the network loads (a million-meter network's checkpoint is ~80 MB in the database). Only the
    /// correlation engine writes checkpoints, and it has not started, so the one read is the one the loop resumes from.
    /// </summary>
    public void BeginCheckpointRead()
    {
        if (_checkpoints is { } store && Volatile.Read(ref _checkpointRead) is null)
        {
            Interlocked.CompareExchange(ref _checkpointRead, Task.Run(store.Load), null);
        }
    }

    /// <summary>On the loop, at start: resume from the checkpoint when there is a usable one, else replay everything.</summary>
    private int Start()
    {
        if (_checkpoints is not null)
        {
            CorrelationCheckpoint? checkpoint = null;
            try
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                var early = Interlocked.Exchange(ref _checkpointRead, null);
                checkpoint = early is not null ? early.GetAwaiter().GetResult() : _checkpoints.Load();
                if (checkpoint is not null)
                {
                    return Resume(checkpoint, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                }
            }
            catch (InvalidDataException ex)
            {
                LogCheckpointUnusable(_logger, _checkpoints.Location, checkpoint?.TakenAt, ex.Message);
            }
        }

        return Rebuild();
    }

    /// <summary>On the loop: the checkpoint's correlator, carried on over the journal after it and the actions after it.</summary>
    private int Resume(CorrelationCheckpoint checkpoint, TimeSpan readTime)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var c = OutageCorrelator.RestoreCheckpoint(_topology.Current, _options, checkpoint.State);
        var restoreTime = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        _lastTaken = checkpoint.LastTaken.Length == EventKey.Size ? EventKey.FromBytes(checkpoint.LastTaken) : null;
        var actions = _actions.All().Where(a => a.Id > checkpoint.LastActionId).ToList();
        int next = 0;

        // Actions applied live before any event after the checkpoint: their event is covered (or there was none).
        while (next < actions.Count && actions[next].AfterEvent is var after
            && (after is null || after.Length != EventKey.Size || c.HasSeen(EventKey.FromBytes(after))))
        {
            Replay(c, actions[next++]);
        }

        int tail = 0;
        var read = _events.Journal.ReadSnapshot(e =>
        {
            if (c.HasSeen(e.Key))
            {
                return; // covered by the checkpoint
            }

            Take(c, e);
            tail++;
            if (next < actions.Count && actions[next].AfterEvent is { Length: EventKey.Size })
            {
                Span<byte> key = stackalloc byte[EventKey.Size];
                e.Key.WriteTo(key);
                while (next < actions.Count && actions[next].AfterEvent is { } after2 && after2.AsSpan().SequenceEqual(key))
                {
                    Replay(c, actions[next++]);
                }
            }
        });
        if (next < actions.Count)
        {
            LogActionsUnplaced(_logger, actions.Count - next); // its event is not in the journal: keep the order, at the end
        }

        while (next < actions.Count)
        {
            Replay(c, actions[next++]);
        }

        _eventsBefore = checkpoint.EventsTaken;
        Interlocked.Add(ref _processed, tail);
        _lastActionId = Math.Max(checkpoint.LastActionId, actions.Count > 0 ? actions.Max(a => a.Id) : 0);
        var now = _time.GetUtcNow();
        c.Advance(now);
        _correlator = c;
        _persistence.Enqueue(c.DrainChanges()); // the tail's changes: the store holds everything up to the checkpoint
        _checkpointAt = now;
        _changedSinceCheckpoint = tail > 0 || actions.Count > 0;
        Publish(c, now);
        Arm(c);
        _resumed = true;
        var resumeTime = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        LogResumed(_logger, checkpoint.TakenAt, read.RecordCount, tail, actions.Count, checkpoint.State.Length / 1e6,
            readTime.TotalMilliseconds, restoreTime.TotalMilliseconds, resumeTime.TotalMilliseconds);
        return tail;
    }

    /// <summary>On the loop: the correlator's state and position, handed to the writer.</summary>
    private void Checkpoint(OutageCorrelator c, DateTimeOffset now)
    {
        if (_checkpoints is null)
        {
            return;
        }

        var checkpoint = new CorrelationCheckpoint(now, c.WriteCheckpoint(), _lastTaken?.ToBytes() ?? [], _lastActionId, _eventsBefore + EventsProcessed);
        _persistence.Checkpoint(new CorrelationPersistence.CheckpointJob(checkpoint, c.SeenKeys()));
        _checkpointAt = now;
        _changedSinceCheckpoint = false;
    }

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning,
        Message = "Correlation checkpoint ({Location}, taken {TakenAt}) cannot be used: {Reason}; replaying every stored event instead")]
    private static partial void LogCheckpointUnusable(ILogger logger, string location, DateTimeOffset? takenAt, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information,
        Message = "Correlation resumed from the checkpoint of {TakenAt}: {Read} journal records read, {Tail} taken after it, {Actions} operator actions after it " +
            "(checkpoint of {StateMB:F1} MB read in {ReadMs:F0} ms, restored in {RestoreMs:F0} ms, resumed in {ResumeMs:F0} ms)")]
    private static partial void LogResumed(ILogger logger, DateTimeOffset takenAt, long read, int tail, int actions, double stateMB, double readMs, double restoreMs, double resumeMs);
}
