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
    protected override (ITopologyStore Store, IDisposable Lifetime) OpenStore()
    {
        var lite = new LiteStore(Folder);
        return (new LiteTopologyStore(lite, TimeProvider.System), lite);
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
