namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>
/// The base of every storage contract suite (the shape of NetTopologySuite's BaseDistanceTest: the tests live in an
/// abstract class, each backend a subclass that only says how to open its store). <see cref="Open"/> opens the
/// backend's store over this test's own data (here: a real temp folder); opening again after the first lifetime
/// is disposed is a restart and must see the same data.
/// </summary>
public abstract class StoreContract<TStore> : TempFolder
{
    private readonly List<IDisposable> _open = [];

    /// <summary>The store and what ends its lifetime (closing files or connections).</summary>
    protected abstract (TStore Store, IDisposable Lifetime) OpenStore();

    protected TStore Open()
    {
        var (store, lifetime) = OpenStore();
        _open.Add(lifetime);
        return store;
    }

    /// <summary>Ends every open lifetime, then opens again: what a restart of the process sees.</summary>
    protected TStore Reopen()
    {
        CloseAll();
        return Open();
    }

    private void CloseAll()
    {
        foreach (var lifetime in _open)
        {
            lifetime.Dispose();
        }

        _open.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        CloseAll();
        base.Dispose(disposing);
    }
}
