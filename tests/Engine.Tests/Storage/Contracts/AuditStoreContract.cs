using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="IAuditStore"/> must honour.</summary>
public abstract class AuditStoreContract : StoreContract<IAuditStore>
{
    private static readonly DateTime Day0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Query_NewestFirst_EveryField_AfterARestart()
    {
        var store = Open();
        store.Add(new AuditRecord(Day0.AddHours(1), "ada", "sign-in", "10.0.0.1", null));
        store.Add(new AuditRecord(Day0.AddHours(3), "api-key:admin:1a2b", "remap", "10.0.0.2", "M9 → T2"));
        store.Add(new AuditRecord(Day0.AddHours(2), "bob", "sign-out", "", "ünïcode \\u001b"));

        var all = Reopen().Query(new AuditQuery());

        Assert.Equal(["remap", "sign-out", "sign-in"], all.Select(e => e.Action));
        Assert.Equal(new AuditRecord(Day0.AddHours(3), "api-key:admin:1a2b", "remap", "10.0.0.2", "M9 → T2"), all[0]);
        Assert.Equal(new AuditRecord(Day0.AddHours(2), "bob", "sign-out", "", "ünïcode \\u001b"), all[1]);
        Assert.Null(all[2].Detail);
        Assert.Equal(DateTimeKind.Utc, all[0].Time.Kind);
    }

    [Fact]
    public void Query_FiltersByTimeUserAndAction_AndHonoursTheLimit()
    {
        var store = Open();
        for (int i = 0; i < 50; i++)
        {
            store.Add(new AuditRecord(Day0.AddMinutes(i), i % 2 == 0 ? "ada" : "bob", i % 5 == 0 ? "sign-in-failed" : "sign-in", "10.0.0.1", $"#{i}"));
        }

        var window = store.Query(new AuditQuery(From: Day0.AddMinutes(10), To: Day0.AddMinutes(20), Limit: 100));
        Assert.Equal(Enumerable.Range(10, 10).Reverse().Select(i => $"#{i}"), window.Select(e => e.Detail)); // [from, to)

        var ada = store.Query(new AuditQuery(User: "ADA", Action: "sign-in-failed", Limit: 100)); // names compare case-insensitively
        Assert.Equal(["#40", "#30", "#20", "#10", "#0"], ada.Select(e => e.Detail));

        var page = store.Query(new AuditQuery(User: "bob", Limit: 3));
        Assert.Equal(["#49", "#47", "#45"], page.Select(e => e.Detail));
        Assert.Empty(store.Query(new AuditQuery(User: "nobody")));
    }

    [Fact]
    public void Query_EqualTimes_TheOneAddedLastFirst_AndTheLimitHoldsAcrossTies()
    {
        var store = Open();
        for (int i = 0; i < 6; i++)
        {
            store.Add(new AuditRecord(Day0, "ada", "sign-in", "", $"#{i}"));
        }

        Assert.Equal(["#5", "#4", "#3", "#2"], store.Query(new AuditQuery(Limit: 4)).Select(e => e.Detail));
    }

    [Fact]
    public void DeleteBefore_RemovesExactlyTheOlderEntries()
    {
        var store = Open();
        store.Add(new AuditRecord(Day0, "ada", "sign-in", "", null));
        store.Add(new AuditRecord(Day0.AddDays(1), "ada", "sign-out", "", null));

        Assert.Equal(1, store.DeleteBefore(Day0.AddDays(1)));

        Assert.Equal(["sign-out"], Reopen().Query(new AuditQuery()).Select(e => e.Action));
    }

    [Fact]
    public async Task ReadersWhileOneWriterAdds_NeverSeeLessThanBefore()
    {
        var store = Open();
        using var done = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            int last = 0, reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                int n = store.Query(new AuditQuery(Limit: 1000)).Count;
                Assert.True(n >= last);
                last = n;
                reads++;
            }
        });
        for (int i = 0; i < 200; i++)
        {
            store.Add(new AuditRecord(Day0.AddSeconds(i), "ada", "sign-in", "", null));
        }

        await done.CancelAsync();
        await reader;
        Assert.Equal(200, store.Query(new AuditQuery(Limit: 1000)).Count);
    }
}
