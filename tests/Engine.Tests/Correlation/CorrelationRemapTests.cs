using OpsConsole.Engine.Correlation;
using static OpsConsole.Engine.Tests.Correlation.CorrelationNetwork;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>Rule 9: remapping a meter to a transformer re-correlates it.</summary>
public class CorrelationRemapTests
{
    private readonly Feed _feed = new(new OutageCorrelator(Build(), Options()));

    private OutageCorrelator Engine => _feed.Engine;

    [Fact]
    public void Remap_UnknownOutage_MergesIntoItsTransformersOpenOutage()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(2, 0);
        _feed.Gasp(12, 100);
        _feed.Advance(2500);
        var transformer = Engine.ActiveOutages().Single(o => o.Level == OutageLevel.Transformer);
        var unknown = Engine.ActiveOutages().Single(o => o.Level == OutageLevel.Unknown);
        Engine.DrainChanges();

        var result = Engine.Remap("M12", "T1", "admin", Feed.At(10_000));

        Assert.True(result.Succeeded, result.Error);
        var o = Assert.Single(Engine.ActiveOutages());
        Assert.Equal(transformer.Id, o.Id);
        Assert.Equal(5, o.Meters);
        Assert.Equal(["M1", "M2", "M12"], o.ReportingMeterIds);
        Assert.Equal(transformer.Id, Engine.Resolve(unknown.Id));
        Assert.Contains(Engine.DrainChanges(), c => c.Outage.Id == unknown.Id && c.Kinds.HasFlag(OutageChangeKinds.Merged));
        Assert.Equal(new Dictionary<string, string> { ["M12"] = "T1" }, Engine.ParentOverrides);
        Assert.Equal(("T1", true), (Engine.MeterStatusOf("M12")!.TransformerId, Engine.MeterStatusOf("M12")!.Remapped));
    }

    [Fact]
    public void Remap_UnknownOutageWithNothingOpenAtTheNewPlace_BecomesTheRightLevel()
    {
        _feed.Gasp(12, 0);
        _feed.Advance(2000);
        var unknown = Assert.Single(Engine.ActiveOutages());

        Engine.Remap("M12", "T5", "admin", Feed.At(5000)); // T5 now has two meters, one of them down

        var o = Assert.Single(Engine.ActiveOutages());
        Assert.Equal(unknown.Id, o.Id);
        Assert.Equal(OutageLevel.Meter, o.Level);
        Assert.Equal("M12", o.DeviceId);
        Assert.Contains("Only meter M12 of the 2 meters behind T5", o.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Remap_IntoAFuseWithAnAffectedTransformer_RollsUp()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(12, 0);
        _feed.Advance(2000); // a Meter outage M1 and an Unknown M12

        Engine.Remap("M12", "T2", "admin", Feed.At(5000)); // FU1: T1 and T2 affected

        var o = Assert.Single(Engine.ActiveOutages());
        Assert.Equal("FU1", o.DeviceId);
        Assert.Equal(9, o.Meters);
    }

    [Fact]
    public void Remap_CustomerCountsFollowTheMeter_AndPersistedOverridesApplyAtStart()
    {
        var engine = new OutageCorrelator(Build(), Options(), new Dictionary<string, string> { ["M12"] = "T1", [GuidOf(11).ToString()] = "T1" });
        var feed = new Feed(engine);
        feed.Gasp(12, 0);
        feed.Gasp(11, 0);
        feed.Advance(2000);

        var o = Assert.Single(engine.ActiveOutages());
        Assert.Equal("T1", o.DeviceId);
        Assert.Equal(6, o.Meters);
        Assert.Equal(2, engine.ParentOverrides.Count);
    }

    [Fact]
    public void Remap_BadInput_FailsWithAMessage()
    {
        Assert.Equal("no transformer 'FU1'", Engine.Remap("M1", "FU1", "admin", Feed.At(0)).Error);
        Assert.Equal("no meter 'X9' (give a meter id or GUID)", Engine.Remap("X9", "T1", "admin", Feed.At(0)).Error);
    }

    [Fact]
    public void MetersOf_ListsEveryCustomerBehindTheFailedElement_RemapsApplied()
    {
        Assert.True(Engine.Remap("M12", "T2", "admin", Feed.At(0)).Succeeded); // in under FU1
        Assert.True(Engine.Remap("M3", "T4", "admin", Feed.At(0)).Succeeded);  // out from under FU1
        Assert.True(Engine.Remap("M4", "T2", "admin", Feed.At(0)).Succeeded);  // moved within FU1
        _feed.Gasp(1, 100);
        _feed.Gasp(5, 100);
        _feed.Advance(3000);
        var fuse = Assert.Single(Engine.ActiveOutages());
        Assert.Equal("FU1", fuse.DeviceId);

        var meters = Engine.MetersOf(fuse.Id);

        Assert.Equal(["M1", "M12", "M2", "M4", "M5", "M6", "M7", "M8"], meters.Select(m => m.MeterId).Order(StringComparer.Ordinal));
        Assert.Equal(fuse.Meters, meters.Count);
        Assert.Equal(["M1", "M5"], meters.Where(m => m.IsDown).Select(m => m.MeterId).Order(StringComparer.Ordinal));
        Assert.Empty(Engine.MetersOf("O-999"));
        var single = Engine.MetersOf(Engine.MeterStatusOf("M1")!.OutageId!);
        Assert.Equal(fuse.Meters, single.Count);
    }
}
