namespace OpsConsole.Engine.Ingest;

/// <summary>
/// At most one log line per <see cref="Interval"/> for one kind of event, and a count of the lines
/// held back in between, so a flood of junk (e.g. spoofed sources, ERR_GATEWAY_DENIED) cannot fill the
/// event-processor log or cost a formatted line per datagram. Lock-free and allocation-free: one
/// timestamp read and one compare-and-swap or increment per call; thread-safe.
/// </summary>
/// <remarks>
/// Every event is accounted for: it is either logged, or counted in the <c>suppressed</c> figure
/// handed to the next line written (<see cref="TryAcquire"/>) or to the periodic summary
/// (<see cref="TryFlush"/>) once the interval has passed.
/// </remarks>
public sealed class LogRateLimiter
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private long _next = long.MinValue;
    private long _suppressed;

    public LogRateLimiter(TimeProvider time, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _time = time;
        Interval = interval;
        _intervalTicks = checked((long)Math.Ceiling(interval.TotalSeconds * time.TimestampFrequency));
    }

    /// <summary>The least time between two lines.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Events held back and not yet reported.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    /// <summary>
    /// True when this event may be logged now; <paramref name="suppressed"/> is then the number of events
    /// held back since the previous line (to write on this one). False: the event was counted as held back.
    /// </summary>
    public bool TryAcquire(out long suppressed)
    {
        if (TryTakeSlot())
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }

    /// <summary>
    /// For a periodic sweep: true when events were held back and the interval since the last line has
    /// passed; <paramref name="suppressed"/> is their number, to write as a summary line.
    /// </summary>
    public bool TryFlush(out long suppressed)
    {
        suppressed = 0;
        if (Interlocked.Read(ref _suppressed) == 0 || !TryTakeSlot())
        {
            return false;
        }

        suppressed = Interlocked.Exchange(ref _suppressed, 0);
        return suppressed > 0;
    }

    private bool TryTakeSlot()
    {
        long now = _time.GetTimestamp();
        long next = Volatile.Read(ref _next);
        return now >= next && Interlocked.CompareExchange(ref _next, now + _intervalTicks, next) == next;
    }
}
