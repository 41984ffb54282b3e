using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="IOutageStore"/> must do; each implementation's test class derives from this.</summary>
public abstract class OutageStoreContract : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 18, 0, 0, TimeSpan.Zero);

    /// <summary>A store over empty storage.</summary>
    protected abstract IOutageStore Store { get; }

    /// <summary>The same storage opened again, as after a restart.</summary>
    protected abstract IOutageStore Reopen();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    protected static StoredOutage Make(int n, OutageState state = OutageState.Confirmed, string? mergedInto = null, int reporting = 3) => new(
        new Outage(
            $"O-{n}",
            OutageLevel.Device,
            $"F-{n}",
            state,
            Meters: 40 + n,
            ReportingMeters: reporting,
            CriticalMeters: n % 3,
            StartedAt: T0.AddSeconds(n),
            ConfirmedAt: state == OutageState.Suspected ? null : T0.AddSeconds(n + 30),
            RestoredAt: state.IsOpen() ? null : T0.AddMinutes(n + 5),
            Priority: 100 + n,
            Explanation: $"{reporting} of 12 transformers below fuse F-{n} reported ({reporting} meters) within 1.2 s — ü",
            ParentOutageId: n > 1 ? "O-1" : null,
            History:
            [
                new OutageTransition(null, OutageState.Suspected, T0.AddSeconds(n + 2), "engine", null),
                new OutageTransition(OutageState.Suspected, OutageState.Confirmed, T0.AddSeconds(n + 30), "engine", "merged O-9 (Meter M-9)"),
            ],
            ReportingMeterIds: [.. Enumerable.Range(0, reporting).Select(i => $"M-{n}-{i}")],
            RestorationSteps: state.IsOpen() ? [] : [new RestorationStep(T0.AddMinutes(n + 5), 40 + n)],
            MetersDown: state.IsOpen() ? reporting : 0),
        mergedInto);

    [Fact]
    public void Save_ThenFind_GivesBackEveryField()
    {
        var o = Make(2, OutageState.Restored);
        Store.Save([o]);

        AssertSame(o, Store.Find("O-2"));
        Assert.Null(Store.Find("O-3"));
        Assert.Null(Store.Find("not-an-id"));
    }

    [Fact]
    public void Save_AgainUnderTheSameId_ReplacesIt()
    {
        Store.Save([Make(1, OutageState.Suspected, reporting: 2)]);
        var grown = Make(1, OutageState.Dispatched, reporting: 5000);
        Store.Save([grown]);

        AssertSame(grown, Store.Find("O-1"));
        Assert.Equal(1, Store.Count());
    }

    [Fact]
    public void Open_IsTheOpenUnmergedOnes_InCreationOrder_AndAll_IsEveryOne()
    {
        Store.Save([Make(12), Make(3, OutageState.Restored), Make(2, mergedInto: "O-12"), Make(10, OutageState.Suspected)]);
        Store.Save([Make(1, OutageState.Acknowledged)]);

        Assert.Equal(["O-1", "O-10", "O-12"], Store.Open().Select(o => o.Id));
        Assert.Equal(["O-1", "O-2", "O-3", "O-10", "O-12"], Store.All().Select(o => o.Id));
        Assert.Equal("O-12", Store.Find("O-2")!.MergedIntoId);
        Assert.Equal(5, Store.Count());
    }

    [Fact]
    public void ReplaceAll_ForgetsWhatItDoesNotHold()
    {
        Store.Save([Make(1), Make(2), Make(3)]);
        Store.ReplaceAll([Make(1, OutageState.Cleared), Make(4)]);

        Assert.Equal(["O-1", "O-4"], Store.All().Select(o => o.Id));
        Assert.Equal(OutageState.Cleared, Store.Find("O-1")!.Outage.State);
    }

    [Fact]
    public void Saved_Outages_AreThereAfterAReopen()
    {
        Store.Save([Make(1), Make(2, OutageState.Momentary)]);

        var again = Reopen();
        AssertSame(Make(1), again.Find("O-1"));
        Assert.Equal(["O-1"], again.Open().Select(o => o.Id));
    }

    [Fact]
    public void Save_Nothing_ChangesNothing()
    {
        Store.Save([]);
        Assert.Equal(0, Store.Count());
        Assert.Empty(Store.All());
    }

    private static void AssertSame(StoredOutage expected, StoredOutage? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.MergedIntoId, actual.MergedIntoId);
        var (e, a) = (expected.Outage, actual.Outage);
        Assert.Equal(e with { History = [], ReportingMeterIds = [], RestorationSteps = [] }, a with { History = [], ReportingMeterIds = [], RestorationSteps = [] });
        Assert.Equal(e.History, a.History);
        Assert.Equal(e.ReportingMeterIds, a.ReportingMeterIds);
        Assert.Equal(e.RestorationSteps, a.RestorationSteps);
    }
}
