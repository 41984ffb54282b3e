using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;

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

    /// <summary>Flips a byte in the middle of the first snapshot chunk of the collection in force.</summary>
    protected override void DamageSnapshot()
    {
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

public sealed class LiteMeterLinkStoreContractTests : MeterLinkStoreContract
{
    protected override (IMeterLinkStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return (new LiteMeterLinkStore(lite), lite);
    }
}
