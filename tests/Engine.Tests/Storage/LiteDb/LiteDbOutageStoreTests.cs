using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Tests.Storage.Contracts;

namespace OpsConsole.Engine.Tests.Storage.LiteDb;

public sealed class LiteDbOutageStoreTests : OutageStoreContract
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "opsconsole-tests", Guid.NewGuid().ToString("N"));
    private LiteStore _lite;

    public LiteDbOutageStoreTests()
    {
        _lite = new LiteStore(_folder);
        Store = new LiteDbOutageStore(_lite);
    }

    protected override IOutageStore Store { get; }

    protected override IOutageStore Reopen()
    {
        _lite.Dispose();
        _lite = new LiteStore(_folder);
        return new LiteDbOutageStore(_lite);
    }

    protected override void Dispose(bool disposing)
    {
        _lite.Dispose();
        Directory.Delete(_folder, recursive: true);
        base.Dispose(disposing);
    }
}
