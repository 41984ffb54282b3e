using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Server.Tests;

public class TopologyStoreTests
{
    [Fact]
    public async Task Save_ThenLoadFromAReopenedFile_GivesTheSameFeatures()
    {
        using var folder = new TempFolder();
        var features = SmallNetwork.Import().Features;
        using (var store = new LiteStore(folder.Path))
        {
            new LiteTopologyStore(store, TimeProvider.System).Save(features, "small.geojson");
        }

        using var reopened = new LiteStore(folder.Path);
        var topologyStore = new LiteTopologyStore(reopened, TimeProvider.System);
        var loaded = await topologyStore.LoadAsync();

        Assert.NotNull(loaded);
        Assert.True(loaded.IsValid);
        Assert.Equal(features.Select(f => f.Id), loaded.Features.Select(f => f.Id));
        Assert.Equal(features.Select(f => f.Parent), loaded.Features.Select(f => f.Parent));
        Assert.Equal(features.Select(f => f.Guid), loaded.Features.Select(f => f.Guid));
        Assert.Equal("ABC", loaded.Features.Single(f => f.Id == "L1").Extra!.Value.GetProperty("phases").GetString());
        Assert.Equal("small.geojson", topologyStore.StoredSource());
    }

    [Fact]
    public async Task Save_ASecondNetwork_ReplacesTheFirstWhole()
    {
        using var folder = new TempFolder();
        using var store = new LiteStore(folder.Path);
        var topologyStore = new LiteTopologyStore(store, TimeProvider.System);
        topologyStore.Save(SmallNetwork.Import().Features, "small");
        var smaller = SmallNetwork.Import().Features.Where(f => f.Id is "S1" or "F1").ToList();

        topologyStore.Save(smaller, "smaller");

        var loaded = await topologyStore.LoadAsync();
        Assert.Equal(["S1", "F1"], loaded!.Features.Select(f => f.Id));
    }

    [Fact]
    public async Task Load_FromAnEmptyStore_IsNull()
    {
        using var folder = new TempFolder();
        using var store = new LiteStore(folder.Path);

        Assert.Null(await new LiteTopologyStore(store, TimeProvider.System).LoadAsync());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void LiteStore_CreatesItsFolderOwnerOnly()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "data");

        using var store = new LiteStore(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Bootstrapper_WithANetworkStored_IgnoresTheConfiguredFile()
    {
        using var folder = new TempFolder();
        using var store = new LiteStore(Path.Combine(folder.Path, "db"));
        var topologyStore = new LiteTopologyStore(store, TimeProvider.System);
        topologyStore.Save(SmallNetwork.Import().Features, "small");
        var other = SmallNetwork.WriteTo(folder.Path, "other.geojson", SmallNetwork.GeoJson.Replace("\"M9\"", "\"M99\"", StringComparison.Ordinal));
        var state = new TopologyState();
        var bootstrapper = new TopologyBootstrapper(topologyStore, state, Options.Create(new TopologyOptions { File = other }), NullLogger<TopologyBootstrapper>.Instance);

        await bootstrapper.StartAsync(CancellationToken.None);

        Assert.True(state.Current.TryGetElement("M9", out _));
        Assert.False(state.Current.TryGetElement("M99", out _));
    }

    [Fact]
    public async Task Bootstrapper_WithAnEmptyStore_ImportsTheFileAndStoresIt()
    {
        using var folder = new TempFolder();
        using var store = new LiteStore(Path.Combine(folder.Path, "db"));
        var topologyStore = new LiteTopologyStore(store, TimeProvider.System);
        var file = SmallNetwork.WriteTo(folder.Path);
        var state = new TopologyState();
        NetworkTopology? announced = null;
        state.Changed += t => announced = t;
        var bootstrapper = new TopologyBootstrapper(topologyStore, state, Options.Create(new TopologyOptions { File = file }), NullLogger<TopologyBootstrapper>.Instance);

        await bootstrapper.StartAsync(CancellationToken.None);

        Assert.True(state.IsLoaded);
        Assert.Same(state.Current, announced);
        Assert.Equal(5, state.Current.MeterCount);
        Assert.True(topologyStore.HasTopology);
    }

    [Fact]
    public async Task Bootstrapper_FirstStart_LogsReadValidatedStored_ARestartLoadsTheSnapshot()
    {
        using var folder = new TempFolder();
        var file = SmallNetwork.WriteTo(folder.Path);
        using var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        NetworkTopology first;
        using (var store = new LiteStore(Path.Combine(folder.Path, "db")))
        {
            var state = new TopologyState();
            await new TopologyBootstrapper(new LiteTopologyStore(store, TimeProvider.System), state, Options.Create(new TopologyOptions { File = file }),
                factory.CreateLogger<TopologyBootstrapper>()).StartAsync(CancellationToken.None);
            first = state.Current;
        }

        var ids = logs.Lines.Select(l => l.Id.Id).ToList();
        Assert.Equal([1004, 1005, 1006, 1001], ids.Where(id => id is >= 1001 and <= 1006));
        Assert.Contains("MiB read and validated", logs.Lines.Single(l => l.Id.Id == 1004).Message, StringComparison.Ordinal);
        Assert.Contains("features, 0 errors", logs.Lines.Single(l => l.Id.Id == 1005).Message, StringComparison.Ordinal);
        Assert.Single(logs.Lines, l => l.Id.Id == 1008); // the import's garbage given back once, after the first start
        int logged = logs.Lines.Count;

        using (var store = new LiteStore(Path.Combine(folder.Path, "db")))
        {
            var state = new TopologyState();
            await new TopologyBootstrapper(new LiteTopologyStore(store, TimeProvider.System), state, Options.Create(new TopologyOptions { File = file }),
                factory.CreateLogger<TopologyBootstrapper>()).StartAsync(CancellationToken.None);

            Assert.Equal(first.Features.Select(f => (f.Id, f.Parent, f.Location)), state.Current.Features.Select(f => (f.Id, f.Parent, f.Location)));
            Assert.Contains("(snapshot)", logs.Lines.Last(l => l.Id.Id == 1001).Message, StringComparison.Ordinal);
            Assert.DoesNotContain(logs.Lines, l => l.Id.Id == 1003);
            Assert.DoesNotContain(logs.Lines.Skip(logged), l => l.Id.Id == 1008); // a restart from the snapshot has none
        }
    }
}
