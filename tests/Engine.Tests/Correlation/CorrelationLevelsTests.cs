using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;
using static OpsConsole.Engine.Tests.Correlation.CorrelationNetwork;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>Rules 1 and 2: the window, the levels, roll-up, Unknown, test and flagged events.</summary>
public class CorrelationLevelsTests
{
    private readonly Feed _feed = new(new OutageCorrelator(Build(), Options()));

    private Outage Single()
    {
        var active = _feed.Engine.ActiveOutages();
        Assert.Single(active);
        return active[0];
    }

    [Fact]
    public void Window_FirstLastGasp_DecidesOnlyWhenTheWindowEnds()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(2, 500);

        Assert.Equal(Feed.At(2000), _feed.Engine.NextDeadline);
        _feed.Advance(1999);
        Assert.Empty(_feed.Engine.ActiveOutages());
        Assert.Empty(_feed.Engine.DrainChanges());

        _feed.Advance(2000);
        var o = Single();
        Assert.Equal(OutageState.Suspected, o.State);
        Assert.Equal(Feed.At(0), o.StartedAt);
        Assert.Equal(OutageChangeKinds.Created | OutageChangeKinds.Reported, Assert.Single(_feed.Engine.DrainChanges()).Kinds);
    }

    [Fact]
    public void Transformer_TwoMetersReported_IsOneTransformerOutageWithAllItsCustomers()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(2, 500);
        _feed.Advance(2000);

        var o = Single();
        Assert.Equal(OutageLevel.Transformer, o.Level);
        Assert.Equal("T1", o.DeviceId);
        Assert.Equal(4, o.Meters);
        Assert.Equal(2, o.ReportingMeters);
        Assert.Equal(1, o.CriticalMeters);
        Assert.Equal(["M1", "M2"], o.ReportingMeterIds);
        Assert.Equal("2 of 4 meters behind T1 sent a last gasp within 0.5 s", o.Explanation);
    }

    [Fact]
    public void Meter_OneMeterOfAMultiMeterTransformer_IsAMeterOutage()
    {
        _feed.Gasp(5, 0);
        _feed.Advance(2000);

        var o = Single();
        Assert.Equal(OutageLevel.Meter, o.Level);
        Assert.Equal("M5", o.DeviceId);
        Assert.Equal(1, o.Meters);
        Assert.Equal("Only meter M5 of the 2 meters behind T2 sent a last gasp", o.Explanation);
    }

    [Fact]
    public void Transformer_ItsOnlyMeterReported_IsATransformerOutage()
    {
        _feed.Gasp(11, 0);
        _feed.Advance(2000);

        var o = Single();
        Assert.Equal(OutageLevel.Transformer, o.Level);
        Assert.Equal("T5", o.DeviceId);
        Assert.Equal(1, o.Meters);
    }

    [Fact]
    public void Rollup_TwoOfThreeTransformersOfAFuse_IsOneDeviceOutage()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(5, 300);
        _feed.Advance(2300);

        var o = Single();
        Assert.Equal(OutageLevel.Device, o.Level);
        Assert.Equal("FU1", o.DeviceId);
        Assert.Equal(8, o.Meters);
        Assert.Equal(2, o.ReportingMeters);
        Assert.Equal("2 of 3 transformers below fuse FU1 reported (2 meters) within 0.3 s", o.Explanation);
    }

    [Fact]
    public void Rollup_WalkContinuesWhileTheNextElementQualifies_NamesTheHighest()
    {
        _feed.Gasp(1, 0);   // T1 under FU1
        _feed.Gasp(5, 100); // T2 under FU1: FU1 2/3
        _feed.Gasp(9, 200); // T4 under FU2: R1 3/6
        _feed.Advance(5000);

        var o = Single();
        Assert.Equal(OutageLevel.Device, o.Level);
        Assert.Equal("R1", o.DeviceId);
        Assert.Equal(13, o.Meters);
        Assert.StartsWith("3 of 6 transformers below recloser R1 reported (3 meters)", o.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Rollup_ThroughASingleTransformerFuse_ReachesTheRecloser()
    {
        _feed.Gasp(16, 0);  // T12, alone under FU3
        _feed.Gasp(1, 100);
        _feed.Gasp(5, 200);
        _feed.Advance(5000);

        Assert.Equal("R1", Single().DeviceId);
    }

    [Fact]
    public void Rollup_BelowTheFraction_StaysAtTransformers()
    {
        _feed.Gasp(1, 0);   // T1 (FU1: 1 of 3)
        _feed.Gasp(2, 0);
        _feed.Gasp(9, 100); // T4 (FU2: 1 of 2); R1 2 of 6 is below one half
        _feed.Gasp(10, 100);
        _feed.Advance(5000);

        var ids = _feed.Engine.ActiveOutages().Select(o => (o.Level, o.DeviceId)).Order().ToArray();
        Assert.Equal([(OutageLevel.Transformer, "T1"), (OutageLevel.Transformer, "T4")], ids);
    }

    [Fact]
    public void Rollup_HalfOfAFeeder_IsAFeederOutage()
    {
        foreach (var (n, i) in new[] { 1, 5, 7, 9, 11 }.Select((n, i) => (n, i)))
        {
            _feed.Gasp(n, i * 100);
        }

        _feed.Advance(5000);

        var o = Single();
        Assert.Equal(OutageLevel.Feeder, o.Level);
        Assert.Equal("F1", o.DeviceId);
        Assert.Equal(16, o.Meters);
    }

    [Fact]
    public void Rollup_HalfOfTheSubstation_IsASubstationOutage()
    {
        foreach (var (n, i) in new[] { 1, 5, 7, 9, 11, 14 }.Select((n, i) => (n, i)))
        {
            _feed.Gasp(n, i * 100);
        }

        _feed.Advance(5000);

        var o = Single();
        Assert.Equal(OutageLevel.Substation, o.Level);
        Assert.Equal("S1", o.DeviceId);
        Assert.Equal(19, o.Meters);
        Assert.Equal(1, o.CriticalMeters);
    }

    [Fact]
    public void RollupFraction_IsConfigurable()
    {
        var feed = new Feed(new OutageCorrelator(Build(), new CorrelationOptions { RollupFraction = 1.0 }));
        feed.Gasp(1, 0);
        feed.Gasp(5, 100); // FU1: 2 of 3 is not all of them
        feed.Advance(5000);

        Assert.DoesNotContain(feed.Engine.ActiveOutages(), o => o.Level == OutageLevel.Device);
    }

    [Fact]
    public void Unknown_UnmappedMeter_IsAnUnknownOutageNamedByTheMeter()
    {
        _feed.Gasp(12, 0);
        _feed.Advance(2000);

        var o = Single();
        Assert.Equal(OutageLevel.Unknown, o.Level);
        Assert.Equal("M12", o.DeviceId);
        Assert.Contains("mapped to no transformer", o.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_MeterNotInTheTopology_IsAnUnknownOutageNamedByItsGuid()
    {
        var stranger = Guid.Parse("0badc0de-0000-4000-8000-000000000001");
        _feed.Send(stranger, MeterEventCode.PowerDown, 0);
        _feed.Advance(2000);

        var o = Single();
        Assert.Equal(OutageLevel.Unknown, o.Level);
        Assert.Equal(stranger.ToString("D"), o.DeviceId);
        Assert.Equal(o.Id, _feed.Engine.MeterStatusOf(stranger.ToString())!.OutageId);
    }

    [Fact]
    public void TestPowerDown_NeverMakesAnOutage_IsRecordedAsATestResult()
    {
        Assert.Equal(EventDisposition.TestRecorded, _feed.Send(GuidOf(1), MeterEventCode.TestPowerDown, 0));
        Assert.Equal(EventDisposition.TestRecorded, _feed.Send(GuidOf(2), MeterEventCode.TestPowerDown, 100));
        _feed.Advance(60_000);

        Assert.Empty(_feed.Engine.AllOutages());
        Assert.Equal([Feed.At(0)], _feed.Engine.TestResultsOf("M1"));
        Assert.False(_feed.Engine.MeterStatusOf("M1")!.IsDown);
        Assert.Equal(MeterEventCode.TestPowerDown, _feed.Engine.MeterStatusOf("M1")!.LastEventCode);
    }

    [Fact]
    public void TimeSyncFlagged_LastGasp_TakesNoPart()
    {
        Assert.Equal(EventDisposition.ExcludedTimeSync, _feed.Send(GuidOf(1), MeterEventCode.PowerDown, 0, EventFlags.TimeSync));
        Assert.Equal(EventDisposition.ExcludedTimeSync, _feed.Send(GuidOf(2), MeterEventCode.PowerDown, 0, EventFlags.TimeSync | EventFlags.SignalLow));
        _feed.Gasp(5, 0);
        _feed.Advance(5000);

        // Without the flagged ones FU1 has one affected transformer: a Meter outage, not a roll-up.
        var o = Single();
        Assert.Equal(OutageLevel.Meter, o.Level);
        Assert.Equal(["M5"], o.ReportingMeterIds);
    }

    [Fact]
    public void CapacitorAndSignalFlags_DoNotExclude()
    {
        _feed.Send(GuidOf(1), MeterEventCode.PowerDown, 0, EventFlags.CapacitorLow | EventFlags.SignalLow);
        _feed.Advance(2000);

        Assert.Equal("M1", Single().DeviceId);
    }

    [Fact]
    public void Duplicate_SameEventKey_IsIgnored()
    {
        Assert.Equal(EventDisposition.Correlated, _feed.Send(GuidOf(1), MeterEventCode.PowerDown, 0, eventId: 7));
        Assert.Equal(EventDisposition.Duplicate, _feed.Send(GuidOf(1), MeterEventCode.PowerDown, 300, eventId: 7));
        Assert.Equal(EventDisposition.Correlated, _feed.Send(GuidOf(1), MeterEventCode.PowerUp, 400, eventId: 8));
        Assert.Equal(EventDisposition.Duplicate, _feed.Send(GuidOf(1), MeterEventCode.PowerUp, 500, eventId: 8));
        Assert.Equal(EventDisposition.Duplicate, _feed.Send(GuidOf(1), MeterEventCode.PowerDown, 600, eventId: 7));
        _feed.Advance(5000);

        // down and up inside the window: one Momentary record, no open outage
        Assert.Empty(_feed.Engine.ActiveOutages());
        Assert.Equal(OutageState.Momentary, Assert.Single(_feed.Engine.AllOutages()).State);
    }

    [Fact]
    public void OtherEventCodes_AreIgnored()
    {
        Assert.Equal(EventDisposition.Ignored, _feed.Send(GuidOf(1), (MeterEventCode)77, 0));
        _feed.Advance(5000);

        Assert.Empty(_feed.Engine.AllOutages());
    }

    [Fact]
    public void Options_Invalid_ThrowNamingEveryKey()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OutageCorrelator(Build(),
            new CorrelationOptions { WindowMs = 5, RollupFraction = 0, QualifyMs = -1, NestedMs = -2 }));

        Assert.Contains("Correlation:WindowMs = 5", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Correlation:RollupFraction = 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Correlation:QualifyMs = -1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Correlation:NestedMs = -2", ex.Message, StringComparison.Ordinal);
    }
}
