using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using static OpsConsole.Engine.Tests.Correlation.CorrelationNetwork;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>Rules 4 to 8: qualification, restoration, nested outages, the lifecycle, priority.</summary>
public class CorrelationLifecycleTests
{
    private readonly Feed _feed = new(new OutageCorrelator(Build(), Options()));

    private OutageCorrelator Engine => _feed.Engine;

    /// <summary>M1 and M2 of T1 at 0 and 100 ms: a Transformer outage Suspected at 2 s.</summary>
    private string TransformerOutage()
    {
        _feed.Gasp(1, 0);
        _feed.Gasp(2, 100);
        _feed.Advance(2000);
        return Assert.Single(Engine.ActiveOutages()).Id;
    }

    [Fact]
    public void Qualify_AfterQualifyMsFromItsStart_IsConfirmed()
    {
        var id = TransformerOutage();

        _feed.Advance(29_999);
        Assert.Equal(OutageState.Suspected, Engine.Find(id)!.State);

        Assert.Equal(Feed.At(30_000), Engine.NextDeadline);
        _feed.Advance(30_000);
        var o = Engine.Find(id)!;
        Assert.Equal(OutageState.Confirmed, o.State);
        Assert.Equal(Feed.At(30_000), o.ConfirmedAt);
        Assert.Equal([(null, OutageState.Suspected, "engine"), (OutageState.Suspected, OutageState.Confirmed, "engine")],
            o.History.Select(h => (h.From, h.State, h.Actor)));
    }

    [Fact]
    public void Momentary_AllReportingMetersBackBeforeQualification_ClosesAsMomentary()
    {
        var id = TransformerOutage();
        _feed.Up(1, 9000);
        Assert.Equal(OutageState.Suspected, Engine.Find(id)!.State);
        _feed.Up(2, 10_000);

        var o = Engine.Find(id)!;
        Assert.Equal(OutageState.Momentary, o.State);
        Assert.Equal(Feed.At(10_000), o.RestoredAt);
        Assert.Null(o.ConfirmedAt);
        Assert.Empty(Engine.ActiveOutages());
        _feed.Advance(60_000);
        Assert.Equal(OutageState.Momentary, Engine.Find(id)!.State); // the qualification deadline does nothing
    }

    [Fact]
    public void Momentary_BlinkInsideTheWindow_IsKeptAsAMomentaryRecord()
    {
        _feed.Gasp(1, 0);
        _feed.Up(1, 800);
        _feed.Advance(2000);

        var o = Assert.Single(Engine.AllOutages());
        Assert.Equal(OutageState.Momentary, o.State);
        Assert.Equal(OutageLevel.Meter, o.Level);
        Assert.Empty(Engine.ActiveOutages());
    }

    [Fact]
    public void Restored_WhenEveryReportingMeterPowersUp_WithAStepForTheCustomers()
    {
        var id = TransformerOutage();
        _feed.Advance(30_000);

        _feed.Up(1, 300_000);
        Assert.Equal(OutageState.Confirmed, Engine.Find(id)!.State);
        Assert.Equal(1, Engine.Find(id)!.MetersDown);
        _feed.Up(2, 360_000);

        var o = Engine.Find(id)!;
        Assert.Equal(OutageState.Restored, o.State);
        Assert.Equal(Feed.At(360_000), o.RestoredAt);
        Assert.Equal([new RestorationStep(Feed.At(360_000), 4)], o.RestorationSteps);
        Assert.Equal(0, o.Priority);
        Assert.False(Engine.MeterStatusOf("M2")!.IsDown);
        Assert.Null(Engine.MeterStatusOf("M2")!.OutageId);
    }

    [Fact]
    public void Nested_MetersStillDownNestedMsAfterTheUpstreamRestoration_BecomeANestedOutage()
    {
        foreach (var (n, ms) in new[] { (1, 0), (2, 0), (5, 100), (9, 200) })
        {
            _feed.Gasp(n, ms);
        }

        _feed.Advance(30_000);
        var parent = Assert.Single(Engine.ActiveOutages());
        Assert.Equal("R1", parent.DeviceId);
        Assert.Equal(OutageState.Confirmed, parent.State);

        _feed.Up(5, 600_000);   // R1 closed again: restoration starts
        _feed.Up(9, 610_000);
        Assert.Equal(Feed.At(660_000), Engine.NextDeadline);
        _feed.Advance(659_999);
        Assert.Equal(OutageState.Confirmed, Engine.Find(parent.Id)!.State);
        _feed.Advance(660_000);  // M1 and M2 still off: T1 failed too

        var restored = Engine.Find(parent.Id)!;
        Assert.Equal(OutageState.Restored, restored.State);
        Assert.Equal(Feed.At(610_000), restored.RestoredAt);
        Assert.Equal([new RestorationStep(Feed.At(610_000), 13 - 4)], restored.RestorationSteps);

        var nested = Assert.Single(Engine.ActiveOutages());
        Assert.Equal(OutageLevel.Transformer, nested.Level);
        Assert.Equal("T1", nested.DeviceId);
        Assert.Equal(parent.Id, nested.ParentOutageId);
        Assert.Equal(OutageState.Confirmed, nested.State);
        Assert.Equal(Feed.At(0), nested.StartedAt);
        Assert.Equal(["M1", "M2"], nested.ReportingMeterIds);
        Assert.EndsWith($"still off after {parent.Id} was restored", nested.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Restoring_EachPowerUpOfAnOpenOutage_IsAChange_SoTheBoardShowsItAsItHappens()
    {
        foreach (var (n, ms) in new[] { (1, 0), (2, 0), (5, 100), (9, 200) })
        {
            _feed.Gasp(n, ms);
        }

        _feed.Advance(30_000);
        var parent = Assert.Single(Engine.ActiveOutages());
        _ = Engine.DrainChanges();

        _feed.Up(5, 600_000);

        var change = Assert.Single(Engine.DrainChanges());
        Assert.Equal(parent.Id, change.Outage.Id);
        Assert.True(change.Kinds.HasFlag(OutageChangeKinds.PoweredUp), change.Kinds.ToString());
        Assert.Equal(OutageState.Confirmed, change.Outage.State);
        Assert.Equal(3, change.Outage.MetersDown);
        Assert.Equal(4, change.Outage.ReportingMeters);
    }

    [Fact]
    public void Nested_OfADispatchedOutage_CarriesItsCrew_AsTheSystem_AndLinksTheParent()
    {
        foreach (var (n, ms) in new[] { (1, 0), (2, 0), (5, 100), (9, 200) })
        {
            _feed.Gasp(n, ms);
        }

        _feed.Advance(30_000);
        var parent = Assert.Single(Engine.ActiveOutages());
        Assert.True(Engine.Dispatch(parent.Id, "dana", "Crew 7", "north section", Feed.At(31_000)).Succeeded);

        _feed.Up(5, 600_000);
        _feed.Up(9, 610_000);
        _feed.Advance(660_000); // M1 and M2 still off: nested

        var nested = Assert.Single(Engine.ActiveOutages());
        Assert.Equal(parent.Id, nested.ParentOutageId);
        Assert.Equal(OutageState.Dispatched, nested.State);
        var carried = nested.History[^1];
        Assert.Equal((OutageState.Confirmed, OutageState.Dispatched, OutageCorrelator.SystemActor), (carried.From, carried.State, carried.Actor));
        Assert.Equal($"crew Crew 7: north section (carried from {parent.Id})", carried.Note);
        Assert.Equal(Feed.At(660_000), carried.At);
    }

    [Fact]
    public void Nested_OfAnOutageNeverDispatched_IsConfirmed_WithNoCrew()
    {
        foreach (var (n, ms) in new[] { (1, 0), (2, 0), (5, 100), (9, 200) })
        {
            _feed.Gasp(n, ms);
        }

        _feed.Advance(30_000);
        var parent = Assert.Single(Engine.ActiveOutages());
        Assert.True(Engine.Acknowledge(parent.Id, "dana", Feed.At(31_000)).Succeeded);
        _feed.Up(5, 600_000);
        _feed.Advance(660_000);

        var nested = Engine.ActiveOutages().Where(o => o.ParentOutageId == parent.Id).ToList();
        Assert.NotEmpty(nested);
        Assert.All(nested, o => Assert.Equal(OutageState.Confirmed, o.State));
        Assert.All(nested, o => Assert.DoesNotContain(o.History, h => h.Actor == OutageCorrelator.SystemActor));
    }

    [Theory]
    [InlineData(OutageAction.Acknowledge, new[] { OutageState.Confirmed })]
    [InlineData(OutageAction.Dispatch, new[] { OutageState.Confirmed, OutageState.Acknowledged })]
    [InlineData(OutageAction.Restore, new[] { OutageState.Suspected, OutageState.Confirmed, OutageState.Acknowledged, OutageState.Dispatched })]
    [InlineData(OutageAction.Clear, new[] { OutageState.Suspected, OutageState.Confirmed, OutageState.Acknowledged, OutageState.Dispatched })]
    public void Rules_WhatTheyAllow_IsWhatTheEngineAccepts(OutageAction action, OutageState[] allowed)
    {
        foreach (var state in Enum.GetValues<OutageState>())
        {
            Assert.Equal(allowed.Contains(state), OutageRules.Allows(action, state));
        }

        // The engine applies the same table: an acknowledgement of a Suspected outage is refused, naming the states.
        var id = TransformerOutage();
        var refused = Engine.Acknowledge(id, "dana", Feed.At(2500));
        Assert.False(refused.Succeeded);
        Assert.Contains("only from Confirmed", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void NestNow_WhileRestoring_EndsTheGraceAtOnce_LikeNestedMsWould()
    {
        foreach (var (n, ms) in new[] { (1, 0), (2, 0), (5, 100), (9, 200) })
        {
            _feed.Gasp(n, ms);
        }

        _feed.Advance(30_000);
        var parent = Assert.Single(Engine.ActiveOutages());
        _feed.Up(5, 600_000);   // restoration starts
        _feed.Up(9, 610_000);

        // Restoration verification read M1 and M2 at 620 s: still off. No waiting for 660 s.
        var done = Engine.NestNow(parent.Id, ["M1", "M2"], "system:verification", Feed.At(620_000));

        Assert.True(done.Succeeded, done.Error);
        var restored = Engine.Find(parent.Id)!;
        Assert.Equal(OutageState.Restored, restored.State);
        Assert.Equal(Feed.At(610_000), restored.RestoredAt);
        Assert.Equal([new RestorationStep(Feed.At(610_000), 13 - 4)], restored.RestorationSteps);
        Assert.Equal("system:verification", restored.History[^1].Actor);
        var nested = Assert.Single(Engine.ActiveOutages());
        Assert.Equal(("T1", parent.Id, OutageState.Confirmed, Feed.At(0)), (nested.DeviceId, nested.ParentOutageId, nested.State, nested.StartedAt));
        _feed.Advance(700_000); // the grace deadline, no longer live, does nothing
        Assert.Single(Engine.ActiveOutages());
    }

    [Fact]
    public void NestNow_AfterAManualRestoration_TheMeterStillOffBecomesANestedOutage_AndTheStepLeavesItOut()
    {
        var id = TransformerOutage();
        _feed.Advance(30_000);
        Assert.True(Engine.RestoreManually(id, "carol", "crew replaced the fuse", Feed.At(900_000)).Succeeded);
        Assert.Equal(4, Engine.Find(id)!.RestorationSteps.Single().CustomersRestored);

        var done = Engine.NestNow(id, ["M2", "M5"], "system:verification", Feed.At(905_000)); // M5 is not behind T1: left alone

        Assert.True(done.Succeeded, done.Error);
        var nested = Assert.Single(Engine.ActiveOutages());
        Assert.Equal((OutageLevel.Meter, "M2", id, OutageState.Confirmed), (nested.Level, nested.DeviceId, nested.ParentOutageId, nested.State));
        Assert.Equal(Feed.At(100), nested.StartedAt); // its own last gasp
        Assert.True(Engine.MeterStatusOf("M2")!.IsDown);
        Assert.False(Engine.MeterStatusOf("M5")!.IsDown);
        Assert.Equal(3, Engine.Find(id)!.RestorationSteps.Single().CustomersRestored);
        Assert.False(Engine.NestNow(id, ["M2"], "system:verification", Feed.At(906_000)).Succeeded); // down already: nothing to do
        _feed.Up(2, 950_000);
        Assert.Equal(OutageState.Restored, Engine.Find(nested.Id)!.State);
    }

    [Fact]
    public void Nested_EveryMeterBackWithinNestedMs_NoNestedOutage()
    {
        foreach (var (n, ms) in new[] { (1, 0), (5, 100), (9, 200) })
        {
            _feed.Gasp(n, ms);
        }

        _feed.Advance(30_000);
        _feed.Up(5, 600_000);
        _feed.Up(9, 601_000);
        _feed.Up(1, 650_000);
        _feed.Advance(700_000);

        var o = Assert.Single(Engine.AllOutages());
        Assert.Equal(OutageState.Restored, o.State);
        Assert.Equal(Feed.At(650_000), o.RestoredAt);
    }

    [Fact]
    public void Lifecycle_OperatorTransitions_AreTimestampedWithActorAndNote()
    {
        var id = TransformerOutage();

        var early = Engine.Acknowledge(id, "alice", Feed.At(5000));
        Assert.False(early.Succeeded);
        Assert.Contains("Suspected", early.Error, StringComparison.Ordinal);

        _feed.Advance(30_000);
        Assert.True(Engine.Acknowledge(id, "alice", Feed.At(31_000)).Succeeded);
        Assert.False(Engine.Acknowledge(id, "alice", Feed.At(31_500)).Succeeded);
        Assert.False(Engine.Dispatch(id, "bob", " ", null, Feed.At(32_000)).Succeeded);
        var dispatched = Engine.Dispatch(id, "bob", "crew 7", "ladder truck", Feed.At(32_000));
        Assert.True(dispatched.Succeeded);
        Assert.Equal(OutageState.Dispatched, dispatched.Outage!.State);
        var restored = Engine.RestoreManually(id, "carol", "crew replaced the fuse", Feed.At(900_000));
        Assert.True(restored.Succeeded);

        var o = Engine.Find(id)!;
        Assert.Equal(OutageState.Restored, o.State);
        Assert.Equal(Feed.At(900_000), o.RestoredAt);
        Assert.Equal([new RestorationStep(Feed.At(900_000), 4)], o.RestorationSteps);
        var last3 = o.History.TakeLast(3).ToArray();
        Assert.Equal((OutageState.Acknowledged, "alice", Feed.At(31_000)), (last3[0].State, last3[0].Actor, last3[0].At));
        Assert.Equal((OutageState.Dispatched, "bob", "crew crew 7: ladder truck"), (last3[1].State, last3[1].Actor, last3[1].Note));
        Assert.Equal((OutageState.Restored, "carol", "crew replaced the fuse"), (last3[2].State, last3[2].Actor, last3[2].Note));
        Assert.False(Engine.MeterStatusOf("M1")!.IsDown);
        Assert.False(Engine.Clear(id, "admin", Feed.At(901_000)).Succeeded);
    }

    [Fact]
    public void Clear_FalsePositive_ClosesAndTakesItsMetersAsUp()
    {
        var id = TransformerOutage();
        var result = Engine.Clear(id, "admin", Feed.At(3000));

        Assert.True(result.Succeeded);
        Assert.Equal(OutageState.Cleared, result.Outage!.State);
        Assert.Empty(result.Outage.RestorationSteps);
        Assert.Empty(Engine.ActiveOutages());
        Assert.False(Engine.MeterStatusOf("M1")!.IsDown);
        Assert.True(Engine.DrainChanges().Single().Kinds.HasFlag(OutageChangeKinds.Cleared));

        _feed.Gasp(1, 10_000); // a new last gasp later is a new outage
        _feed.Gasp(2, 10_000);
        _feed.Advance(12_000);
        Assert.NotEqual(id, Assert.Single(Engine.ActiveOutages()).Id);
    }

    [Fact]
    public void Operations_UnknownOutage_FailWithAMessage()
    {
        Assert.Equal("no outage 'O-99'", Engine.Acknowledge("O-99", "alice", Feed.At(0)).Error);
        Assert.False(Engine.Clear("nonsense", "alice", Feed.At(0)).Succeeded);
        Assert.False(Engine.RestoreManually("O-1", "alice", "why", Feed.At(0)).Succeeded);
    }

    [Fact]
    public void Priority_FormulaWeighsCustomersCriticalAndAge()
    {
        Assert.Equal(4 + 50, OutagePriority.Compute(4, 1, TimeSpan.Zero));
        Assert.Equal(2 * (4 + 50), OutagePriority.Compute(4, 1, TimeSpan.FromHours(1)));
        Assert.Equal(5 * 10, OutagePriority.Compute(10, 0, TimeSpan.FromDays(3)));
    }

    [Fact]
    public void Priority_ActiveOutagesAreSortedByIt()
    {
        _feed.Gasp(9, 0);   // T4: 2 meters, no critical
        _feed.Gasp(10, 0);
        _feed.Gasp(1, 100); // M1 alone: a Meter outage of a critical meter
        _feed.Gasp(14, 200); // T11: 2 meters
        _feed.Gasp(15, 200);
        _feed.Advance(3_600_000);

        var active = Engine.ActiveOutages();
        Assert.Equal(["M1", "T4", "T11"], active.Select(o => o.DeviceId));
        Assert.Equal(OutagePriority.Compute(1, 1, TimeSpan.FromMilliseconds(3_600_000 - 100)), active[0].Priority);
        Assert.Equal(active[1].Priority, active[2].Priority); // same score: the older first
    }

    [Fact]
    public void Changes_EveryKindIsReported_OncePerOutagePerDrain()
    {
        var id = TransformerOutage();
        Assert.Equal(OutageChangeKinds.Created | OutageChangeKinds.Reported, Engine.DrainChanges().Single().Kinds);
        Assert.Empty(Engine.DrainChanges());

        _feed.Advance(30_000);
        Assert.Equal(OutageChangeKinds.StateChanged, Engine.DrainChanges().Single().Kinds);
        _feed.Up(1, 40_000);
        _feed.Up(2, 41_000);
        var restored = Engine.DrainChanges().Single();
        // M1's power-up (restoration under way) and M2's (restored), in one entry.
        Assert.Equal(OutageChangeKinds.PoweredUp | OutageChangeKinds.StateChanged | OutageChangeKinds.Restored, restored.Kinds);
        Assert.Equal(id, restored.Outage.Id);
    }

    [Fact]
    public void Snapshots_AreImmutable_WhenTheOutageGrowsLater()
    {
        TransformerOutage();
        var before = Engine.ActiveOutages()[0];
        _feed.Gasp(3, 5000);
        _feed.Gasp(4, 5000);

        Assert.Equal(["M1", "M2"], before.ReportingMeterIds);
        Assert.Equal(["M1", "M2", "M3", "M4"], Engine.ActiveOutages()[0].ReportingMeterIds);
    }

    [Fact]
    public void Replay_SameEvents_GiveTheSameOutagesAndIds()
    {
        static IReadOnlyList<Outage> Run()
        {
            var feed = new Feed(new OutageCorrelator(Build(), new CorrelationOptions()));
            foreach (var (n, ms) in new[] { (1, 0), (2, 0), (9, 5000), (10, 5100), (16, 9000), (12, 9500), (19, 20_000) })
            {
                feed.Gasp(n, ms);
            }

            feed.Advance(40_000);
            feed.Up(16, 100_000);
            feed.Advance(200_000);
            return feed.Engine.AllOutages();
        }

        var a = Run();
        var b = Run();

        Assert.Equal(Describe(a), Describe(b));
        Assert.True(a.Count >= 3);
    }

    internal static string[] Describe(IEnumerable<Outage> outages) =>
        [.. outages.Select(o => $"{o.Id} {o.Level} {o.DeviceId} {o.State} {o.Meters} {o.StartedAt:O} {o.ConfirmedAt:O} {o.RestoredAt:O} {o.ParentOutageId} [{string.Join(",", o.ReportingMeterIds)}] {o.Explanation}")];
}
