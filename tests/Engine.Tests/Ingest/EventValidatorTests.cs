using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Engine.Tests.Ingest;

public class EventValidatorTests
{
    private static readonly DateTimeOffset Received = new(2026, 11, 24, 18, 0, 0, TimeSpan.Zero);
    private static readonly EventValidator Validator = new(new ValidationOptions());

    private static MeterEvent Event(DateTimeOffset? sent, DateTimeOffset? eventTime = null, MeterEventCode code = MeterEventCode.PowerDown, ushort capMv = 4000, sbyte rssi = -70) =>
        new(Guid.NewGuid(), code, 1, 1, sent, eventTime ?? sent ?? Received, capMv, rssi, 0);

    [Theory]
    [InlineData(0, true)]
    [InlineData(500, true)]      // at the tolerance ahead
    [InlineData(510, false)]     // ahead of the head-end's clock by more than 500 ms
    [InlineData(-1500, true)]    // 1 s transit + 500 ms tolerance
    [InlineData(-1510, false)]   // older than that
    public void ClockCheck_UsesToleranceAheadAndTransitPlusToleranceBehind(int offsetMs, bool inSync)
    {
        Assert.Equal(inSync, Validator.IsClockInSync(Event(Received.AddMilliseconds(offsetMs)), Received));
    }

    [Fact]
    public void ClockCheck_WithoutASendTime_UsesTheEventTime()
    {
        Assert.False(Validator.IsClockInSync(Event(null, Received.AddSeconds(-5)), Received));
        Assert.True(Validator.IsClockInSync(Event(null, Received.AddMilliseconds(-200)), Received));
    }

    [Fact]
    public void CapacitorFloor_FlagsOnlyPowerDownsBelow3600mV()
    {
        Assert.True(Validator.IsCapacitorLow(Event(Received, capMv: 3599)));
        Assert.False(Validator.IsCapacitorLow(Event(Received, capMv: 3600)));
        Assert.False(Validator.IsCapacitorLow(Event(Received, code: MeterEventCode.PowerUp, capMv: 0)));
    }

    [Fact]
    public void RssiFloor_FlagsBelowMinus100dBm()
    {
        Assert.True(Validator.IsSignalLow(Event(Received, rssi: -101)));
        Assert.False(Validator.IsSignalLow(Event(Received, rssi: -100)));
    }
}

public class ReplayGuardTests
{
    [Fact]
    public void Counters_MustStrictlyIncreasePerMeter()
    {
        var guard = new ReplayGuard();

        Assert.True(guard.TryAdvance(1, 0, out _));
        Assert.False(guard.TryAdvance(1, 0, out var highest));
        Assert.Equal(0u, highest);
        Assert.True(guard.TryAdvance(1, 5, out _));
        Assert.False(guard.TryAdvance(1, 4, out _));
        Assert.True(guard.TryAdvance(2, 1, out _)); // another meter has its own counter
    }

    [Fact]
    public void RecoveredCounters_RefuseReplaysAfterARestart()
    {
        var guard = new ReplayGuard([new(0x4F50530000000001UL, 41u)]);

        Assert.False(guard.TryAdvance(0x4F50530000000001UL, 41, out _));
        Assert.True(guard.TryAdvance(0x4F50530000000001UL, 42, out _));
        Assert.Equal(42u, guard.Highest(0x4F50530000000001UL));
    }

    [Fact]
    public void RacingWorkers_NeverAcceptTheSameCounterTwice()
    {
        var guard = new ReplayGuard();
        const int Max = 50_000;
        var acceptedTimes = new int[Max + 1];

        Parallel.For(0, 4, worker =>
        {
            for (uint c = 1; c <= Max; c++)
            {
                if (guard.TryAdvance(7, c, out _))
                {
                    Interlocked.Increment(ref acceptedTimes[c]);
                }
            }
        });

        Assert.All(acceptedTimes, n => Assert.InRange(n, 0, 1));
        Assert.Equal(1, acceptedTimes[Max]);
        Assert.Equal((uint)Max, guard.Highest(7));
    }
}
