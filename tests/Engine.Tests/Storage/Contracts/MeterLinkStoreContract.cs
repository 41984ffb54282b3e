using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="IMeterLinkStore"/> must honour.</summary>
public abstract class MeterLinkStoreContract : StoreContract<IMeterLinkStore>
{
    private static readonly Guid A = Guid.Parse("11111111-2222-4333-8444-555555555555");
    private static readonly Guid B = Guid.Parse("99999999-2222-4333-8444-555555555555");

    [Fact]
    public void InvocationCounter_StartsAt1_IncreasesPerMeter_AndSurvivesARestart()
    {
        var store = Open();
        Assert.Equal(1u, store.ReserveInvocationCounter(A));
        Assert.Equal(2u, store.ReserveInvocationCounter(A));
        Assert.Equal(1u, store.ReserveInvocationCounter(B));

        var reopened = Reopen();

        Assert.Equal(3u, reopened.ReserveInvocationCounter(A));
        Assert.Equal(2u, reopened.ReserveInvocationCounter(B));
    }

    [Fact]
    public async Task InvocationCounter_ConcurrentCallers_NeverGetTheSameValue()
    {
        var store = Open();
        var got = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Enumerable.Range(0, 25).Select(_ => store.ReserveInvocationCounter(A)).ToList())));

        var all = got.SelectMany(x => x).ToList();
        Assert.Equal(100, all.Distinct().Count());
        Assert.Equal(100u, all.Max());
    }

    [Fact]
    public void Endpoint_IsNullUntilSet_KeepsTheLatest_AndSurvivesARestart_WithoutTouchingTheCounter()
    {
        var store = Open();
        Assert.Null(store.EndpointOf(A));
        store.ReserveInvocationCounter(A);
        store.SetEndpoint(A, "127.0.0.1:5683");
        store.SetEndpoint(A, "[2001:db8::1]:5683");

        var reopened = Reopen();

        Assert.Equal("[2001:db8::1]:5683", reopened.EndpointOf(A));
        Assert.Null(reopened.EndpointOf(B));
        Assert.Equal(2u, reopened.ReserveInvocationCounter(A));
    }
}
