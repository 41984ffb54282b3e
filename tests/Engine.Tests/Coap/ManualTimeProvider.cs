namespace OpsConsole.Engine.Tests.Coap;

/// <summary>
/// A clock the test moves by hand: wall time and the monotonic timestamp advance together, and timers made by
/// <see cref="CreateTimer"/> fire (on the caller's thread) only from <see cref="Advance"/>, never by themselves.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly TaskCompletionSource _timerCreated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _utcNow = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private long _timestamp = 1_000_000;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _utcNow;
        }
    }

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _timestamp;
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Callbacks run by <see cref="Advance"/> so far.</summary>
    public int Fired { get; private set; }

    /// <summary>The earliest time an armed timer is due; null when none is.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_gate)
            {
                return _timers.Where(t => t.Due is not null).Select(t => t.Due).Min();
            }
        }
    }

    /// <summary>Completes when the first timer is created (a service may create its timer on another thread).</summary>
    public Task TimerCreated => _timerCreated.Task;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        _timerCreated.TrySetResult();
        return timer;
    }

    /// <summary>Moves the clock, then runs every timer due by the new time, in due order.</summary>
    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _utcNow += by;
            _timestamp += by.Ticks;
        }

        while (true)
        {
            ManualTimer? due;
            lock (_gate)
            {
                due = _timers.Where(t => t.Due <= _utcNow).OrderBy(t => t.Due).FirstOrDefault();
                if (due is null)
                {
                    return;
                }

                due.Due = due.Period > TimeSpan.Zero ? due.Due + due.Period : null;
                Fired++;
            }

            due.Fire();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }

        public TimeSpan Period { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._utcNow + dueTime;
            }

            return true;
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
