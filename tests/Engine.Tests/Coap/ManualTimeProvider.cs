namespace OpsConsole.Engine.Tests.Coap;

/// <summary>A clock the test moves by hand: wall time and the monotonic timestamp advance together.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _utcNow = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private long _timestamp = 1_000_000;

    public override DateTimeOffset GetUtcNow() => _utcNow;

    public override long GetTimestamp() => _timestamp;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by)
    {
        _utcNow += by;
        _timestamp += by.Ticks;
    }
}
