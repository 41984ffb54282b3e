using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;
using static OpsConsole.Engine.Tests.Correlation.CorrelationNetwork;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>Issue 13 item 8: a muted meter's last gasps are seen but take no part in correlation until the mute ends.</summary>
public class CorrelationMuteTests
{
    private readonly Feed _feed = new(new OutageCorrelator(Build(), Options()));

    private OutageCorrelator Engine => _feed.Engine;

    [Fact]
    public void MutedMetersGasp_OpensNoOutage_AndAfterTheMuteEndsItDoes()
    {
        Assert.True(Engine.Mute("M11", "ada", "chronic false gasps", Feed.At(60_000), Feed.At(0)).Succeeded);

        Assert.Equal(EventDisposition.Muted, _feed.Gasp(11, 1000));
        _feed.Advance(30_000);
        Assert.Empty(Engine.ActiveOutages());
        Assert.False(Engine.MeterStatusOf("M11")!.IsDown);
        Assert.Equal(("ada", "chronic false gasps", Feed.At(60_000)), (Engine.MuteOf("M11")!.Actor, Engine.MuteOf("M11")!.Reason, Engine.MuteOf("M11")!.Until));

        Assert.Equal(EventDisposition.Correlated, _feed.Up(11, 40_000)); // power-ups still count
        Assert.Equal(EventDisposition.Correlated, _feed.Gasp(11, 60_000)); // the end is exclusive
        _feed.Advance(65_000);
        Assert.Null(Engine.MuteOf("M11"));
        var o = Assert.Single(Engine.ActiveOutages());
        Assert.Equal(["M11"], o.ReportingMeterIds);
    }

    [Fact]
    public void MeterStatus_CarriesTheMuteInForce_InEveryListThatShowsTheMeter_UntilItEnds()
    {
        _feed.Gasp(1, 100);
        _feed.Gasp(2, 100);
        _feed.Advance(5000);
        var o = Assert.Single(Engine.ActiveOutages());
        Engine.Mute("M2", "ada", "noisy", Feed.At(60_000), Feed.At(5000));

        Assert.Equal(("ada", "noisy"), (Engine.MeterStatusOf("M2")!.Mute!.Actor, Engine.MeterStatusOf("M2")!.Mute!.Reason));
        Assert.Equal(["M2"], Engine.MetersOf(o.Id).Where(m => m.Mute is not null).Select(m => m.MeterId));
        Assert.Null(Engine.MeterStatusOf("M1")!.Mute);

        _feed.Advance(60_000); // the end is exclusive: ended
        Assert.Null(Engine.MeterStatusOf("M2")!.Mute);
        Assert.All(Engine.MetersOf(o.Id), m => Assert.Null(m.Mute));
    }

    [Fact]
    public void MutedMetersGasp_JoinsNoOpenOutage()
    {
        Engine.Mute("M3", "ada", "noisy", Feed.At(3_600_000), Feed.At(0));
        _feed.Gasp(1, 100);
        _feed.Gasp(2, 100);
        _feed.Advance(5000);
        var before = Assert.Single(Engine.ActiveOutages());

        Assert.Equal(EventDisposition.Muted, _feed.Gasp(3, 6000));
        _feed.Advance(10_000);

        var o = Assert.Single(Engine.ActiveOutages());
        Assert.Equal(before.Id, o.Id);
        Assert.Equal(["M1", "M2"], o.ReportingMeterIds);
        Assert.Null(Engine.MeterStatusOf("M3")!.OutageId);
    }

    [Fact]
    public void Unmute_LiftsTheMute_AndIsRefusedWhenThereIsNone()
    {
        Engine.Mute("M11", "ada", "noisy", Feed.At(3_600_000), Feed.At(0));
        Assert.True(Engine.Unmute("M11", "ada", Feed.At(500)).Succeeded);

        Assert.Equal(EventDisposition.Correlated, _feed.Gasp(11, 1000));
        Assert.Equal("meter M11 is not muted", Engine.Unmute("M11", "ada", Feed.At(2000)).Error);
        Assert.Equal("no meter 'M404' (give a meter id or GUID)", Engine.Mute("M404", "ada", "x", Feed.At(9000), Feed.At(0)).Error);
        Assert.Equal("a mute gives a reason", Engine.Mute("M11", "ada", " ", Feed.At(9000), Feed.At(0)).Error);
        Assert.Equal("a mute ends after it starts", Engine.Mute("M11", "ada", "x", Feed.At(0), Feed.At(0)).Error);
    }

    [Fact]
    public void Mute_SurvivesCheckpoint_AndAReplayOfTheSameActionsDecidesTheSame()
    {
        // Live: the mute, a muted gasp, a gasp after it ended — with the mute applied as the host applies it.
        var mute = new OperatorAction { Kind = OperatorAction.MuteKind, Meter = "M11", Note = "chronic", Actor = "ada", AtTicks = Feed.At(0).UtcTicks, UntilTicks = Feed.At(60_000).UtcTicks };
        Assert.True(mute.ApplyTo(Engine).Succeeded);
        _feed.Gasp(11, 1000);
        _feed.Gasp(1, 2000);
        _feed.Advance(10_000);

        var resumed = new Feed(OutageCorrelator.RestoreCheckpoint(Build(), Options(), Engine.WriteCheckpoint()));
        Assert.Equal(Engine.MuteOf("M11"), resumed.Engine.MuteOf("M11"));
        Assert.Equal(EventDisposition.Muted, resumed.Send(GuidOf(11), MeterEventCode.PowerDown, 20_000, eventId: 100));
        Assert.Equal(EventDisposition.Muted, _feed.Send(GuidOf(11), MeterEventCode.PowerDown, 20_000, eventId: 100));
        Assert.Equal(EventDisposition.Correlated, resumed.Send(GuidOf(11), MeterEventCode.PowerDown, 70_000, eventId: 101));
        Assert.Equal(EventDisposition.Correlated, _feed.Send(GuidOf(11), MeterEventCode.PowerDown, 70_000, eventId: 101));
        resumed.Advance(80_000);
        _feed.Advance(80_000);
        Assert.True(Engine.WriteCheckpoint().AsSpan().SequenceEqual(resumed.Engine.WriteCheckpoint()), "the resumed engine differs");

        // A replay from nothing: the same events and the same stored action, in the same order.
        var replay = new Feed(new OutageCorrelator(Build(), Options()));
        Assert.True(mute.ApplyTo(replay.Engine).Succeeded);
        replay.Gasp(11, 1000);
        replay.Gasp(1, 2000);
        replay.Advance(10_000);
        replay.Send(GuidOf(11), MeterEventCode.PowerDown, 20_000, eventId: 100);
        replay.Send(GuidOf(11), MeterEventCode.PowerDown, 70_000, eventId: 101);
        replay.Advance(80_000);
        Assert.True(Engine.WriteCheckpoint().AsSpan().SequenceEqual(replay.Engine.WriteCheckpoint()), "the replayed engine differs");
        Assert.Equal(["M1", "M11"], Engine.ActiveOutages().SelectMany(o => o.ReportingMeterIds).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ChronicMeters_AreThoseClearedNTimesInThePeriod_WithTheirMute()
    {
        double ms = 0;
        for (int i = 0; i < 3; i++)
        {
            _feed.Gasp(11, ms);
            _feed.Gasp(19, ms);
            _feed.Advance(ms + 5000);
            foreach (var o in Engine.ActiveOutages().Where(o => o.ReportingMeterIds.Contains("M11") || i < 2))
            {
                Assert.True(Engine.Clear(o.Id, "system:verification", Feed.At(ms + 6000)).Succeeded);
            }

            _feed.Up(11, ms + 7000);
            _feed.Up(19, ms + 7000);
            ms += TimeSpan.FromDays(1).TotalMilliseconds;
        }

        Engine.Mute("M11", "ada", "chronic", Feed.At(ms + TimeSpan.FromDays(30).TotalMilliseconds), Feed.At(ms));

        var chronic = Assert.Single(Engine.ChronicMeters(3, TimeSpan.FromDays(30)));
        Assert.Equal(("M11", GuidOf(11), 3), (chronic.MeterId, chronic.Guid, chronic.Clears));
        Assert.Equal(Feed.At(TimeSpan.FromDays(2).TotalMilliseconds + 6000), chronic.LastClearAt);
        Assert.Equal("chronic", chronic.Mute!.Reason);
        Assert.Equal(["M11", "M19"], Engine.ChronicMeters(2, TimeSpan.FromDays(30)).Select(c => c.MeterId));
        Assert.Empty(Engine.ChronicMeters(3, TimeSpan.FromHours(30))); // only the last clear is that recent
    }
}
