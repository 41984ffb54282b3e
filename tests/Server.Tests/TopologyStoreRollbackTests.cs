using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Server.Tests;

/// <summary>The store keeps the network a save replaced, and a roll-back puts it back, across a reopen of the file.</summary>
public class TopologyStoreRollbackTests
{
    [Fact]
    public async Task Save_KeepsThePrevious_RollBackPutsItBack_AndSurvivesAReopen()
    {
        using var folder = new TempFolder();
        var full = SmallNetwork.Import().Features;
        var small = full.Where(f => f.Id is "S1" or "F1").ToList();
        using (var store = new LiteStore(folder.Path))
        {
            var topology = new LiteTopologyStore(store, TimeProvider.System);
            Assert.False(topology.RollBack()); // nothing stored, nothing kept
            topology.Save(full, "full");
            Assert.Null(topology.Previous);
            Assert.False(topology.RollBack());

            topology.Save(small, "small");
            Assert.Equal(("full", full.Count), (topology.Previous!.Source, topology.Previous.Features));
            Assert.Equal(2, topology.StoredFeatures().Count());
            Assert.True(topology.RollBack());
        }

        using var reopened = new LiteStore(folder.Path);
        var again = new LiteTopologyStore(reopened, TimeProvider.System);
        Assert.Equal(full.Select(f => f.Id), (await again.LoadAsync())!.Features.Select(f => f.Id));
        Assert.Equal("full", again.StoredSource());
        Assert.Equal("small", again.Previous!.Source); // rolled back from: a second roll-back re-applies it
        Assert.NotNull(again.FeatureJson("M9"));

        again.Save(small, "small again");
        Assert.Equal(["S1", "F1"], (await again.LoadAsync())!.Features.Select(f => f.Id));
        Assert.Equal(full.Select(f => f.Id), (await again.LoadPreviousAsync())!.Features.Select(f => f.Id));
    }
}
