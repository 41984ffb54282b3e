using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Tests.Correlation;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="ITopologyStore"/> must honour.</summary>
public abstract class TopologyStoreContract : StoreContract<ITopologyStore>
{
    /// <summary>A substation, a feeder, a transformer and <paramref name="meters"/> meters under it.</summary>
    internal static List<TopologyFeature> Network(int meters) =>
    [
        CorrelationNetwork.Element(ElementKind.Substation, "S1", null),
        CorrelationNetwork.Element(ElementKind.Feeder, "F1", "S1"),
        CorrelationNetwork.Element(ElementKind.Transformer, "T1", "F1"),
        .. Enumerable.Range(1, meters).Select(n => CorrelationNetwork.Meter(n, "T1")),
    ];

    [Fact]
    public async Task Save_LoadsBackInOrder_AfterARestart()
    {
        var store = Open();
        Assert.False(store.HasTopology);
        Assert.Null(await store.LoadAsync());
        var network = Network(5);
        store.Save(network, "first.geojson");

        var reopened = Reopen();
        var loaded = await reopened.LoadAsync();

        Assert.True(reopened.HasTopology);
        Assert.True(loaded!.IsValid);
        Assert.Equal(network.Select(f => f.Id), loaded.Features.Select(f => f.Id));
        Assert.Equal(network.Select(f => f.Guid), loaded.Features.Select(f => f.Guid));
        Assert.Equal(("first.geojson", network.Count), (reopened.Current!.Source, reopened.Current.Features));
        Assert.Equal("first.geojson", reopened.StoredSource());
        Assert.Contains("\"M3\"", reopened.FeatureJson("M3"), StringComparison.Ordinal);
        Assert.Null(reopened.FeatureJson("nope"));
        Assert.Equal(network.Select(f => (f.Id, f.Kind)), reopened.StoredFeatures().Select(f => (f.Id, f.Kind)));
    }

    [Fact]
    public async Task Save_KeepsTheReplacedAsPrevious_RollBackSwapsThem()
    {
        var store = Open();
        Assert.False(store.RollBack());
        store.Save(Network(2), "a");
        store.Save(Network(4), "b");

        Assert.Equal(("b", "a"), (store.Current!.Source, store.Previous!.Source));
        Assert.Equal(5, (await store.LoadPreviousAsync())!.Features.Count);
        Assert.True(store.RollBack());

        var reopened = Reopen();
        Assert.Equal(("a", "b"), (reopened.Current!.Source, reopened.Previous!.Source));
        Assert.Equal(5, (await reopened.LoadAsync())!.Features.Count);
    }

    [Fact]
    public async Task AReaderDuringSaves_SeesOneWholeNetwork()
    {
        var store = Open();
        store.Save(Network(10), "10");
        using var done = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            int reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                var loaded = await store.LoadAsync();
                Assert.Contains(loaded!.Features.Count(f => f.Kind == ElementKind.Meter), new[] { 10, 20 });
                reads++;
            }
        });
        for (int i = 0; i < 10; i++)
        {
            store.Save(Network(i % 2 == 0 ? 20 : 10), "x");
        }

        await done.CancelAsync();
        await reader;
    }

    /// <summary>Damages the stored snapshot of the network in force (as a failing disk or an older server would leave it).</summary>
    protected abstract void DamageSnapshot();

    [Fact]
    public async Task LoadNetwork_AfterARestart_IsTheNetworkTheFeaturesBuild_FromTheSnapshot()
    {
        var store = Open();
        Assert.Null(await store.LoadNetworkAsync());
        var network = Network(6);
        store.Save(network, "first.geojson");

        var loaded = await Reopen().LoadNetworkAsync();

        Assert.Null(loaded!.SnapshotProblem);
        Assert.Null(loaded.Import);
        var built = NetworkTopology.Build(network, keepExtraProperties: false);
        Assert.Equal(built.Features.Select(f => f with { Geometry = null! }), loaded.Topology!.Features.Select(f => f with { Geometry = null! }));
        Assert.Equal(built.Features.Select(f => f.Location), loaded.Topology.Features.Select(f => f.Location));
        Assert.Equal(6, loaded.Topology.MeterCountBelow(0));
    }

    [Fact]
    public async Task LoadNetwork_FollowsRollBack()
    {
        var store = Open();
        store.Save(Network(2), "a");
        store.Save(Network(4), "b");
        Assert.Equal(4, (await store.LoadNetworkAsync())!.Topology!.MeterCount);

        Assert.True(store.RollBack());

        var loaded = await Reopen().LoadNetworkAsync();
        Assert.Null(loaded!.SnapshotProblem);
        Assert.Equal(2, loaded.Topology!.MeterCount);
    }

    [Fact]
    public async Task LoadNetwork_DamagedSnapshot_FallsBackToTheStoredGeoJson_SaysWhy_AndRewritesIt()
    {
        var store = Open();
        var network = Network(3);
        store.Save(network, "a");
        DamageSnapshot();

        var fallback = await Reopen().LoadNetworkAsync();

        Assert.NotNull(fallback!.SnapshotProblem);
        Assert.True(fallback.Import!.IsValid);
        Assert.Equal(network.Select(f => f.Id), fallback.Topology!.Features.Select(f => f.Id));
        Assert.Equal(3, fallback.Topology.MeterCount);

        var next = await Reopen().LoadNetworkAsync();
        Assert.Null(next!.SnapshotProblem); // written again from the GeoJSON
        Assert.Equal(network.Select(f => f.Id), next.Topology!.Features.Select(f => f.Id));
    }
}
