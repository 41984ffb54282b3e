using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="IOperatorActionStore"/> must honour.</summary>
public abstract class OperatorActionStoreContract : StoreContract<IOperatorActionStore>
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static OperatorAction Action(string kind, DateTimeOffset at, string? note = null) => new()
    {
        Kind = kind,
        AtTicks = at.UtcTicks,
        Actor = "api-key:admin:1a2b",
        OutageId = "O-7",
        Meter = kind == OperatorAction.RemapKind ? "M9" : null,
        Transformer = kind == OperatorAction.RemapKind ? "T2" : null,
        Crew = kind == OperatorAction.DispatchKind ? "crew 4" : null,
        Note = note,
        AfterEvent = kind == OperatorAction.AcknowledgeKind ? [] : new byte[22].Select((_, i) => (byte)i).ToArray(),
    };

    [Fact]
    public void All_InInsertionOrder_EveryFieldAsAdded_AfterARestart()
    {
        var store = Open();
        var added = new[]
        {
            Action(OperatorAction.DispatchKind, Day0.AddHours(2), "  leading and trailing spaces kept  "),
            Action(OperatorAction.AcknowledgeKind, Day0.AddHours(1)), // earlier time, later insertion
            Action(OperatorAction.RemapKind, Day0.AddHours(3), ""),
        };
        foreach (var a in added)
        {
            store.Add(a);
        }

        Assert.True(added[0].Id < added[1].Id && added[1].Id < added[2].Id);
        var all = Reopen().All();

        Assert.Equal(added.Select(a => a.Id), all.Select(a => a.Id));
        for (int i = 0; i < added.Length; i++)
        {
            Assert.Equal(added[i].Kind, all[i].Kind);
            Assert.Equal(added[i].At, all[i].At);
            Assert.Equal(added[i].Actor, all[i].Actor);
            Assert.Equal(added[i].OutageId, all[i].OutageId);
            Assert.Equal(added[i].Meter, all[i].Meter);
            Assert.Equal(added[i].Transformer, all[i].Transformer);
            Assert.Equal(added[i].Crew, all[i].Crew);
            Assert.Equal(added[i].Note, all[i].Note);
            Assert.Equal(added[i].AfterEvent, all[i].AfterEvent);
        }
    }

    [Fact]
    public void DeleteBefore_RemovesExactlyTheOlderActions_AndNumbersKeepGrowing()
    {
        var store = Open();
        var old = Action(OperatorAction.ClearKind, Day0);
        var edge = Action(OperatorAction.RestoreKind, Day0.AddDays(1), "fixed");
        store.Add(old);
        store.Add(edge);

        Assert.Equal(1, store.DeleteBefore(Day0.AddDays(1)));
        Assert.Equal(0, store.DeleteBefore(Day0.AddDays(1)));

        var next = Action(OperatorAction.AcknowledgeKind, Day0.AddDays(2));
        Reopen().Add(next);
        var all = Reopen().All();
        Assert.Equal([edge.Id, next.Id], all.Select(a => a.Id));
        Assert.True(next.Id > edge.Id);
    }

    [Fact]
    public async Task ReadersWhileOneWriterAdds_SeeAPrefixOfTheInsertions()
    {
        var store = Open();
        using var done = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            int last = 0, reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                var all = store.All();
                Assert.True(all.Count >= last);
                Assert.Equal(all.OrderBy(a => a.Id).Select(a => a.Id), all.Select(a => a.Id));
                Assert.All(all, a => Assert.Equal(OperatorAction.AcknowledgeKind, a.Kind));
                last = all.Count;
                reads++;
            }
        });
        for (int i = 0; i < 200; i++)
        {
            store.Add(Action(OperatorAction.AcknowledgeKind, Day0.AddMinutes(i)));
        }

        await done.CancelAsync();
        await reader;
        Assert.Equal(200, store.All().Count);
    }
}
