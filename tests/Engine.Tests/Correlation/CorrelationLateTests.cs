using OpsConsole.Engine.Correlation;
using static OpsConsole.Engine.Tests.Correlation.CorrelationNetwork;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>Rule 3: late and repeated last gasps join, move outages up, never duplicate.</summary>
public class CorrelationLateTests
{
    private readonly Feed _feed = new(new OutageCorrelator(Build(), Options()));

    [Fact]
    public void Late_LastGaspBelowAnOpenOutage_JoinsItAtOnce()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(2, 100);
        _feed.Advance(2000);
        var id = _feed.Engine.ActiveOutages()[0].Id;
        _feed.Engine.DrainChanges();

        _feed.Gasp(3, 10_000);

        var o = Assert.Single(_feed.Engine.ActiveOutages());
        Assert.Equal(id, o.Id);
        Assert.Equal(3, o.ReportingMeters);
        Assert.Equal(id, _feed.Engine.MeterStatusOf("M3")!.OutageId);
        Assert.Equal(OutageChangeKinds.Reported, Assert.Single(_feed.Engine.DrainChanges()).Kinds);
        Assert.Equal(Feed.At(30_000), _feed.Engine.NextDeadline); // no window opened: only its qualification is pending
    }

    [Fact]
    public void Repeated_LastGaspOfAMeterAlreadyDown_ChangesNothing()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(2, 100);
        _feed.Advance(2000);
        _feed.Engine.DrainChanges();

        _feed.Gasp(2, 5000); // a new event id, the same meter

        Assert.Equal(2, Assert.Single(_feed.Engine.ActiveOutages()).ReportingMeters);
        Assert.Empty(_feed.Engine.DrainChanges());
    }

    [Fact]
    public void Late_SecondMeterOfAMeterOutage_MovesItUpToTheTransformer()
    {
        _feed.Gasp(5, 0);
        _feed.Advance(2000);
        var meterOutage = Assert.Single(_feed.Engine.ActiveOutages());
        Assert.Equal(OutageLevel.Meter, meterOutage.Level);
        _feed.Engine.DrainChanges();

        _feed.Gasp(6, 20_000);
        _feed.Advance(22_000);

        var o = Assert.Single(_feed.Engine.ActiveOutages());
        Assert.Equal(meterOutage.Id, o.Id);
        Assert.Equal(OutageLevel.Transformer, o.Level);
        Assert.Equal("T2", o.DeviceId);
        Assert.Equal(["M5", "M6"], o.ReportingMeterIds);
        Assert.True(Assert.Single(_feed.Engine.DrainChanges()).Kinds.HasFlag(OutageChangeKinds.LevelChanged));
    }

    [Fact]
    public void Late_ArrivalMeetingARollup_MovesTheOutageUpALevel()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(2, 0);
        _feed.Advance(2000);
        var first = Assert.Single(_feed.Engine.ActiveOutages());
        Assert.Equal("T1", first.DeviceId);

        _feed.Gasp(5, 15_000); // T2: FU1 now 2 of 3
        _feed.Advance(17_000);

        var o = Assert.Single(_feed.Engine.ActiveOutages());
        Assert.Equal(first.Id, o.Id);
        Assert.Equal("FU1", o.DeviceId);
        Assert.Equal(3, o.ReportingMeters);
        Assert.Equal(Feed.At(0), o.StartedAt);
    }

    [Fact]
    public void Late_RollupOverTwoOpenOutages_MergesThemIntoTheOldest()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(2, 0);
        _feed.Advance(2000);          // T1
        _feed.Gasp(9, 10_000);
        _feed.Gasp(10, 10_000);
        _feed.Advance(12_000);        // T4 (R1: 2 of 6)
        var before = _feed.Engine.ActiveOutages().OrderBy(o => o.Id).ToArray();
        Assert.Equal(["T1", "T4"], before.Select(o => o.DeviceId));
        _feed.Engine.DrainChanges();

        _feed.Gasp(16, 20_000);       // T12: R1 3 of 6
        _feed.Advance(22_000);

        var o = Assert.Single(_feed.Engine.ActiveOutages());
        Assert.Equal(before[0].Id, o.Id);
        Assert.Equal("R1", o.DeviceId);
        Assert.Equal(5, o.ReportingMeters);
        var changes = _feed.Engine.DrainChanges();
        var merged = Assert.Single(changes, c => c.Kinds.HasFlag(OutageChangeKinds.Merged));
        Assert.Equal(before[1].Id, merged.Outage.Id);
        Assert.Equal(o.Id, merged.MergedIntoId);
        Assert.Equal(o.Id, _feed.Engine.Resolve(before[1].Id));
        Assert.DoesNotContain(_feed.Engine.AllOutages(), x => x.Id == before[1].Id);
    }

    [Fact]
    public void Late_MeterOfAnotherTransformerUnderAnOpenRollup_JoinsWithoutAWindow()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(5, 0);
        _feed.Advance(2000); // FU1
        _feed.Gasp(2, 9000); // T1 again, below FU1: no new transformer affected

        var o = Assert.Single(_feed.Engine.ActiveOutages());
        Assert.Equal("FU1", o.DeviceId);
        Assert.Equal(3, o.ReportingMeters);
    }

    [Fact]
    public void NoDuplicate_ManyTransformersClosingTheirWindowsInTurn_GiveOneOutage()
    {
        // Every meter below R1, spread over 1.9 s: each transformer's window ends at another time.
        // R1 6 of 6, F1 6 of 9 and S1 6 of 11 transformers: the walk goes to the substation.
        int[] meters = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 18, 16];
        for (int i = 0; i < meters.Length; i++)
        {
            _feed.Gasp(meters[i], i * 150);
        }

        _feed.Advance(10_000);

        var o = Assert.Single(_feed.Engine.ActiveOutages());
        Assert.Equal("S1", o.DeviceId);
        Assert.Equal(19, o.Meters);
        Assert.Equal(13, o.ReportingMeters);
        Assert.Equal(13, o.ReportingMeterIds.Distinct().Count());
    }
}
