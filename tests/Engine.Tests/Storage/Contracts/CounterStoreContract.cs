using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="ICounterStore"/> must honour.</summary>
public abstract class CounterStoreContract : StoreContract<ICounterStore>
{
    [Fact]
    public void Add_Accumulates_AndTotalsSurviveARestart()
    {
        var store = Open();
        Assert.Empty(store.Load());
        store.Add(new Dictionary<string, long> { ["received"] = 10, ["rejected.ERR_AUTH"] = 2 });
        store.Add(new Dictionary<string, long> { ["received"] = 5, ["accepted"] = 4 });
        store.Add(new Dictionary<string, long>());

        var totals = Reopen().Load();

        Assert.Equal(new Dictionary<string, long> { ["received"] = 15, ["rejected.ERR_AUTH"] = 2, ["accepted"] = 4 }, totals);
    }

    [Fact]
    public async Task ConcurrentWriters_SumExactly()
    {
        var store = Open();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                store.Add(new Dictionary<string, long> { ["received"] = 1, ["accepted"] = 2 });
            }
        })));

        Assert.Equal(200, store.Load()["received"]);
        Assert.Equal(400, store.Load()["accepted"]);
    }
}
