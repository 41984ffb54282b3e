using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Hosting;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>
/// Hosts the one <see cref="OutageCorrelator"/> of the process on one dedicated loop. Everything that
/// touches the correlator is a work item on a bounded channel: batches of accepted events (from the
/// ingest through <see cref="IAcceptedEventSink"/>), operator actions, queries, timer ticks and rebuilds.
/// </summary>
/// <remarks>
/// <para><b>Start order.</b> Registered after the ingest: <c>UdpIngestService.StartAsync</c> runs the event
/// store's recovery (journal → store) synchronously, so when <see cref="StartAsync"/> rebuilds by replaying
/// <see cref="EventStore.ForEach"/> every durable event is there. Live events accepted meanwhile wait in the
/// channel and are processed after the replay; those also in the replay are duplicates the correlator
/// ignores (<see cref="EventKey"/>). <see cref="StartAsync"/> returns once the replay is done.</para>
/// <para><b>Overflow policy.</b> Accepted events are durable, so they are never dropped: when the channel is
/// full, <see cref="Accept"/> blocks the ingest's writer thread (back-pressure: its journal queue then fills
/// and new datagrams are refused as overloaded, which CON meters retry). Once stopping, events handed over
/// are left to the next start's replay. Timer ticks are dropped when the channel is full (the next work
/// item advances time anyway).</para>
/// <para><b>Time.</b> <see cref="OutageCorrelator.Advance"/> runs with <see cref="TimeProvider"/> time after
/// every work item and from a timer due at <see cref="OutageCorrelator.NextDeadline"/>. While outages are open the
/// timer is also due at most <see cref="PriorityRefresh"/> after the last snapshot, which is then taken again even
/// without a change: priorities grow with age, so the order of <see cref="OutageSnapshot.Active"/> must not go stale.</para>
/// <para><b>Replay.</b> Operator actions are persisted (<see cref="IOperatorActionStore"/>) with the key of the last
/// event the correlator had taken into account when they were applied (<see cref="OperatorAction.AfterEvent"/>), and
/// replayed right after that event, in the order they were applied: the replay sees events and actions in the
/// live order, so a restart rebuilds the same outages with the same ids, even when an event received just before
/// an action was handed to correlation just after it. Events the correlator ignores (other codes, time-sync
/// flagged, duplicates) change nothing, so they do not count as a position.</para>
/// <para><b>Checkpoints.</b> Every <c>Correlation:CheckpointSeconds</c> while something changed, at every clean stop and
/// right after a full replay, the correlator's whole state is checkpointed (<see cref="ICheckpointStore"/>) with its
/// position: the last event taken and the last operator action applied. A start restores it and replays only the
/// journal after it (CorrelationService.Checkpoint.cs); a checkpoint that cannot be used (damaged, another version,
/// another network or options) is named in a warning and everything is replayed instead. Outages are stored as they
/// change (<see cref="IOutageStore"/>). Both are written off the loop (<see cref="CorrelationPersistence"/>).</para>
/// </remarks>
public sealed partial class CorrelationService : IHostedService, IAcceptedEventSink, IOutageFeed, IAsyncDisposable
{
    public const int Capacity = 256;

    /// <summary>How old the snapshot may get while outages are open (their priorities age).</summary>
    public static readonly TimeSpan PriorityRefresh = TimeSpan.FromMinutes(1);

    private readonly Channel<Work> _work = Channel.CreateBounded<Work>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    private readonly EventStore _events;
    private readonly IOperatorActionStore _actions;
    private readonly TopologyState _topology;
    private readonly CorrelationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CorrelationService> _logger;
    private readonly ITimer _timer;
    private OutageCorrelator? _correlator;
    private OutageSnapshot _current = OutageSnapshot.Empty;
    private Task? _loop;
    private EventKey? _lastTaken; // loop only: the last event the correlator took into account
    private DateTimeOffset _snapshotAt; // loop only: the time of the latest snapshot
    private readonly ICheckpointStore? _checkpoints;
    private readonly CorrelationPersistence _persistence;
    private bool _checkpointOnStop;

    public CorrelationService(EventStore events, IOperatorActionStore actions, TopologyState topology, IOptions<CorrelationOptions> options,
        TimeProvider time, ILogger<CorrelationService> logger, ICheckpointStore? checkpoints = null, IOutageStore? outages = null,
        StartupWarmup? warmup = null)
    {
        _warmup = warmup;
        ArgumentNullException.ThrowIfNull(options);
        _events = events;
        _actions = actions;
        _topology = topology;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _checkpoints = checkpoints;
        _persistence = new CorrelationPersistence(outages, checkpoints, events, logger);
        _timer = time.CreateTimer(_ => _work.Writer.TryWrite(TickWork.Instance), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private readonly StartupWarmup? _warmup;

    public OutageSnapshot Current => Volatile.Read(ref _current);

    public event Action<IReadOnlyList<OutageChange>>? Changed;

    /// <summary>Events given to the correlator since start (replay and live), for diagnostics and tests.</summary>
    public long EventsProcessed => Interlocked.Read(ref _processed);

    private long _processed;

    /// <summary>
    /// How long the latest batch of live events waited between its first event's receipt and the correlator taking
    /// it (journal append and queue included): the correlation lag (<see cref="CorrelationTelemetry"/>).
    /// </summary>
    public TimeSpan Lag => TimeSpan.FromTicks(Interlocked.Read(ref _lagTicks));

    /// <summary>Work items (event batches, commands, ticks) waiting for the correlation loop.</summary>
    public int QueueDepth => _work.Reader.Count;

    private long _lagTicks;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var rebuilt = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop = Task.Factory.StartNew(() => Loop(rebuilt), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        int replayed = await rebuilt.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_resumed)
        {
            LogRebuilt(_logger, replayed, _current.All.Count, _current.Active.Count);
        }
    }

    /// <summary>Stops the loop once the work queued is done, then checkpoints and waits until outages and checkpoint are written.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _checkpointOnStop, true);
        _work.Writer.TryComplete();
        await _timer.DisposeAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await _persistence.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _work.Writer.TryComplete();
        await _timer.DisposeAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        await _persistence.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Completes once every outage change and checkpoint handed to the writer so far is stored (for tests and tools).</summary>
    public Task FlushAsync() => _persistence.FlushAsync();

    /// <summary>Takes a checkpoint now (on the loop) and completes once it is saved (for tests and tools).</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await RunAsync(c => { Checkpoint(c, _time.GetUtcNow()); return 0; }, cancellationToken).ConfigureAwait(false);
        await _persistence.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Outage write rounds and the time they took (the writer's cost, off the loop), for the benchmark.</summary>
    public (long Rounds, TimeSpan Time) OutageWrites => (_persistence.Rounds, _persistence.WriteTime);

    /// <inheritdoc/>
    public void Accept(IReadOnlyList<RecordedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        var item = new EventsWork([.. events]);
        if (_work.Writer.TryWrite(item))
        {
            return;
        }

        try
        {
            _work.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult(); // block: see the overflow policy
        }
        catch (ChannelClosedException)
        {
            // Stopping: the events are durable; the next start replays them.
        }
    }

    /// <summary>Runs <paramref name="query"/> on the loop (the only thread that touches the correlator).</summary>
    public Task<T> QueryAsync<T>(Func<OutageCorrelator, T> query, CancellationToken cancellationToken = default) =>
        RunAsync(c => query(c), cancellationToken);

    /// <summary>
    /// Applies an operator action at the current time, persists it when it succeeds, and publishes the changes.
    /// </summary>
    public Task<CorrelationResult> ApplyAsync(OperatorAction action, CancellationToken cancellationToken = default) =>
        ApplyIfAsync(action, null, cancellationToken)!;

    /// <summary>
    /// <see cref="ApplyAsync"/> when <paramref name="condition"/> holds on the loop, just before the action (e.g. the outage
    /// is still as it was when its meters were read); null, with nothing applied or stored, when it does not.
    /// </summary>
    public Task<CorrelationResult?> ApplyIfAsync(OperatorAction action, Func<OutageCorrelator, bool>? condition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync<CorrelationResult?>(c =>
        {
            var now = _time.GetUtcNow();
            c.Advance(now); // deadlines due first: the condition sees the outage as it is now
            if (condition is not null && !condition(c))
            {
                return null;
            }

            action.AtTicks = Math.Max(now.UtcTicks, c.Now?.UtcTicks ?? 0);
            action.AfterEvent = _lastTaken?.ToBytes() ?? [];
            var result = action.ApplyTo(c);
            if (result.Succeeded)
            {
                _actions.Add(action);
                _lastActionId = Math.Max(_lastActionId, action.Id);
                _changedSinceCheckpoint = true;
            }

            return result;
        }, cancellationToken);
    }

    /// <summary>Builds a new correlator on the topology in force and replays every stored event and action.</summary>
    public Task<int> RebuildAsync(CancellationToken cancellationToken = default) =>
        RunAsync(_ => Rebuild(), cancellationToken);

    private async Task<T> RunAsync<T>(Func<OutageCorrelator, T> run, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _work.Writer.WriteAsync(new CommandWork(c => run(c), done), cancellationToken).ConfigureAwait(false);
        return (T)(await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private void Loop(TaskCompletionSource<int> rebuilt)
    {
        DedicatedThread.Name("correlation");
        try
        {
            int replayed = Start();
            // Before live events. In the host it has run beside the network's load (StartupWarmup); on its own, here.
            var warm = _warmup is not null ? _warmup.Correlation.GetAwaiter().GetResult()
                : _options.WarmupMs > 0 ? CorrelationWarmup.Run(_options, TimeSpan.FromMilliseconds(_options.WarmupMs)) : null;
            if (warm is { } w)
            {
                LogWarmedUp(_logger, w.Rounds, (long)w.Elapsed.TotalMilliseconds, w.MethodsCompiled);
            }

            rebuilt.SetResult(replayed);
        }
        catch (Exception ex)
        {
            rebuilt.SetException(ex);
            return;
        }

        var reader = _work.Reader;
        using var waiter = new ChannelWaiter(); // blocks without spinning: the receive threads need the CPU in a storm
        while (waiter.WaitToRead(reader))
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    Handle(item);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogFault(_logger, ex);
                    if (item is CommandWork failed)
                    {
                        failed.Done.TrySetException(ex);
                    }
                }
            }

            Step();
        }

        // Stopping: the queue is drained. A last checkpoint, so the next start replays nothing (a dispose without a stop
        // is taken as a crash: no checkpoint).
        try
        {
            if (Volatile.Read(ref _checkpointOnStop) && _changedSinceCheckpoint)
            {
                Checkpoint(_correlator!, _time.GetUtcNow());
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFault(_logger, ex);
        }
    }

    private void Handle(Work item)
    {
        var c = _correlator!;
        switch (item)
        {
            case EventsWork e:
                using (var activity = CorrelationTelemetry.Source.StartActivity("correlate"))
                {
                    activity?.SetTag("events", e.Events.Length);
                    Interlocked.Exchange(ref _lagTicks, Math.Max(0, (_time.GetUtcNow() - e.Events[0].ReceivedAt).Ticks));
                    foreach (var recorded in e.Events)
                    {
                        Take(c, recorded);
                    }
                }

                Interlocked.Add(ref _processed, e.Events.Length);
                _changedSinceCheckpoint = true;
                break;
            case CommandWork cmd:
                object? result = cmd.Run(c);
                Step(); // publish before the caller goes on
                cmd.Done.TrySetResult(result);
                break;
            default:
                break; // a tick: Step advances
        }
    }

    /// <summary>Advances to now, publishes the changes (or a stale snapshot, for priorities) and re-arms the timer.</summary>
    private void Step()
    {
        var c = _correlator!;
        var now = _time.GetUtcNow();
        c.Advance(now);
        var changes = c.DrainChanges();
        if (changes.Count > 0 || (_current.Active.Count > 0 && now - _snapshotAt >= PriorityRefresh))
        {
            Publish(c, now);
        }

        if (changes.Count > 0)
        {
            _persistence.Enqueue(changes);
            try
            {
                Changed?.Invoke(changes);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogFault(_logger, ex);
            }
        }

        if (CheckpointDue(now))
        {
            Checkpoint(c, now);
        }

        Arm(c);
    }

    private void Publish(OutageCorrelator c, DateTimeOffset now)
    {
        Volatile.Write(ref _current, new OutageSnapshot(c.AllOutages()));
        _snapshotAt = now;
    }

    private void Arm(OutageCorrelator c)
    {
        var next = c.NextDeadline;
        if (_current.Active.Count > 0 && _snapshotAt + PriorityRefresh is var refresh && (next is null || refresh < next))
        {
            next = refresh;
        }

        if (NextCheckpoint is { } checkpoint && (next is null || checkpoint < next))
        {
            next = checkpoint;
        }

        if (next is { } at)
        {
            var due = at - _time.GetUtcNow();
            _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Processes one event and remembers it as the position of the next action when it counted.</summary>
    private void Take(OutageCorrelator c, RecordedEvent e)
    {
        if (c.Process(e) is EventDisposition.Correlated or EventDisposition.TestRecorded or EventDisposition.Muted) // a muted gasp counts: an unmute after it must replay after it
        {
            _lastTaken = e.Key;
        }
    }

    /// <summary>On the loop: a new correlator, every stored event with each action right after the event it followed live.</summary>
    private int Rebuild()
    {
        var c = new OutageCorrelator(_topology.Current, _options);
        var actions = _actions.All();
        int next = 0;
        int replayed = 0;
        _lastTaken = null;
        _events.ForEach(e =>
        {
            // Actions applied before any event, and (stored before positions were) by time.
            while (next < actions.Count && actions[next].AfterEvent is var after
                && (after is null ? actions[next].AtTicks <= e.ReceivedAt.UtcTicks : after.Length == 0))
            {
                Replay(c, actions[next++]);
            }

            Take(c, e);
            replayed++;
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
        if (next < actions.Count && actions[next].AfterEvent is { Length: > 0 })
        {
            LogActionsUnplaced(_logger, actions.Count - next); // its event is not stored: keep the order, at the end
        }

        while (next < actions.Count)
        {
            Replay(c, actions[next++]);
        }

        Interlocked.Add(ref _processed, replayed);
        _lastActionId = actions.Count > 0 ? actions.Max(a => a.Id) : 0;
        c.Advance(_time.GetUtcNow());
        _ = c.DrainChanges(); // the replay is not news: readers get the new snapshot
        _correlator = c;
        _persistence.ReplaceAll(c.SnapshotEveryOutage()); // ids may now name other outages (another network)
        Checkpoint(c, _time.GetUtcNow()); // so the next start replays only what comes after
        Publish(c, _time.GetUtcNow());
        Arm(c);
        return replayed;
    }

    private void Replay(OutageCorrelator c, OperatorAction action)
    {
        c.Advance(action.At);
        var result = action.ApplyTo(c);
        if (!result.Succeeded)
        {
            LogActionSkipped(_logger, action.Kind, action.Id, result.Error ?? "");
        }
    }

    private abstract record Work;

    private sealed record EventsWork(RecordedEvent[] Events) : Work;

    private sealed record CommandWork(Func<OutageCorrelator, object?> Run, TaskCompletionSource<object?> Done) : Work;

    private sealed record TickWork : Work
    {
        public static readonly TickWork Instance = new();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Correlation rebuilt from {Events} stored events: {Outages} outages, {Active} active")]
    private static partial void LogRebuilt(ILogger logger, int events, int outages, int active);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information,
        Message = "Correlation warmed up before live events: {Rounds} synthetic storms in {ElapsedMs} ms, {Methods} methods compiled (Correlation:WarmupMs)")]
    private static partial void LogWarmedUp(ILogger logger, int rounds, long elapsedMs, long methods);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Correlation step failed; the loop goes on")]
    private static partial void LogFault(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Replaying operator action {Kind} #{Id} failed (topology changed?): {Error}")]
    private static partial void LogActionSkipped(ILogger logger, string kind, int id, string error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "{Count} operator actions follow an event that is not stored; replayed after every event")]
    private static partial void LogActionsUnplaced(ILogger logger, int count);
}
