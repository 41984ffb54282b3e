using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Tests.Correlation;
using OpsConsole.Gis.Snapshot;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

// The LiteDB backend against every contract, on a real file in a temp folder (opened again for a restart).

public sealed class LiteEventStoreContractTests : EventStoreContract
{
    protected override (IEventStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return (new LiteEventStore(lite), lite);
    }
}

public sealed class LiteOperatorActionStoreContractTests : OperatorActionStoreContract
{
    protected override (IOperatorActionStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return (new LiteOperatorActionStore(lite), lite);
    }
}

public sealed class LiteAuditStoreContractTests : AuditStoreContract
{
    protected override (IAuditStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return (new LiteAuditStore(lite), lite);
    }
}

public sealed class LiteUserAccountStoreContractTests : UserAccountStoreContract
{
    protected override ((IUserAccountStore Users, IRevokedSessionStore Sessions) Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return ((new LiteUserAccountStore(lite), new LiteRevokedSessionStore(lite)), lite);
    }
}

public sealed class LiteCounterStoreContractTests : CounterStoreContract
{
    protected override (ICounterStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return (new LiteCounterStore(lite), lite);
    }
}

public sealed class LiteTopologyStoreContractTests : TopologyStoreContract
{
    private LiteStore? _last;

    protected override (ITopologyStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = _last = new LiteStore(Folder);
        return (new LiteTopologyStore(lite, TimeProvider.System), lite);
    }

    /// <summary>Flips a byte in the middle of the first snapshot chunk of the collection in force, and removes its file copy.</summary>
    protected override void DamageSnapshot()
    {
        Directory.Delete(Path.Combine(Folder, "network-snapshots"), recursive: true);
        var lite = _last!;
        var meta = lite.Database.GetCollection("topology_meta").FindById("current");
        var chunks = lite.Database.GetCollection(meta["collection"].AsString + "_snapshot");
        var chunk = chunks.FindById(1);
        var data = chunk["data"].AsBinary;
        data[data.Length / 2] ^= 0x5A;
        chunk["data"] = data;
        chunks.Update(chunk);
    }
}

/// <summary>The LiteDB store's file copies of its snapshots (what a restart reads instead of the database's chunks).</summary>
public sealed class LiteTopologySnapshotFileTests : StoreContract<LiteTopologyStore>
{
    private string Copies => Path.Combine(Folder, "network-snapshots");

    protected override (LiteTopologyStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return (new LiteTopologyStore(lite, TimeProvider.System), lite);
    }

    [Fact]
    public async Task ARestart_ReadsTheFileNamedByTheSnapshotsHash_OwnerOnly()
    {
        Open().Save(TopologyStoreContract.Network(3), "a");

        var loaded = await Reopen().LoadNetworkAsync();

        var file = Assert.Single(Directory.GetFiles(Copies));
        Assert.Equal(file, loaded!.SnapshotFile);
        Assert.Equal(3, loaded.Topology!.MeterCount);
        Assert.Equal(NetworkSnapshot.Identity(File.ReadAllBytes(file)) + ".netsnap", Path.GetFileName(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Copies));
        }
    }

    [Fact]
    public async Task ADamagedFile_IsNotUsed_TheDatabasesCopyIs_AndTheFileIsWrittenAgain()
    {
        Open().Save(TopologyStoreContract.Network(3), "a");
        string file = Assert.Single(Directory.GetFiles(Copies));
        var bytes = File.ReadAllBytes(file);
        bytes[^10] ^= 0x5A; // in the payload: the header still names it, its SHA-256 no longer matches
        File.WriteAllBytes(file, bytes);

        var fromDatabase = await Reopen().LoadNetworkAsync();

        Assert.Null(fromDatabase!.SnapshotFile);
        Assert.Null(fromDatabase.SnapshotProblem);
        Assert.Equal(3, fromDatabase.Topology!.MeterCount);
        var again = await Reopen().LoadNetworkAsync();
        Assert.Equal(file, again!.SnapshotFile);
        Assert.Equal(3, again.Topology!.MeterCount);
    }

    [Fact]
    public async Task AFileOfAnotherNetwork_UnderTheNameInForce_IsNotUsed()
    {
        var store = Open();
        store.Save(TopologyStoreContract.Network(2), "a");
        string first = Assert.Single(Directory.GetFiles(Copies));
        var older = File.ReadAllBytes(first);
        store.Save(TopologyStoreContract.Network(4), "b");
        string current = Directory.GetFiles(Copies).Single(f => f != first);
        File.WriteAllBytes(current, older); // a stale copy where the one in force should be

        var loaded = await Reopen().LoadNetworkAsync();

        Assert.Null(loaded!.SnapshotFile);
        Assert.Equal(4, loaded.Topology!.MeterCount);
    }

    [Fact]
    public async Task AMissingFile_IsWrittenFromTheDatabase_AndSavesKeepOnlyTheNetworksInForceAndBefore()
    {
        var store = Open();
        store.Save(TopologyStoreContract.Network(1), "a");
        store.Save(TopologyStoreContract.Network(2), "b");
        store.Save(TopologyStoreContract.Network(3), "c");
        Assert.Equal(2, Directory.GetFiles(Copies).Length); // c in force, b before it; a's copy went

        Assert.True(store.RollBack());
        Directory.Delete(Copies, recursive: true);
        var fromDatabase = await Reopen().LoadNetworkAsync();
        Assert.Null(fromDatabase!.SnapshotFile);
        Assert.Equal(2, fromDatabase.Topology!.MeterCount);

        var fromFile = await Reopen().LoadNetworkAsync();
        Assert.NotNull(fromFile!.SnapshotFile);
        Assert.Equal(2, fromFile.Topology!.MeterCount);
    }
}

public sealed class LiteMeterLinkStoreContractTests : MeterLinkStoreContract
{
    protected override (IMeterLinkStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return (new LiteMeterLinkStore(lite), lite);
    }
}
